"""Demo data for a developer's machine: four campaigns, three accounts and
their pledges, for `manage.py load_demo` (only with DEBUG on).

Every text is in the five languages of the site. Safe to run again: campaigns
are found by slug, lines by English label, accounts by username, so a second
run updates what the first one created. Pledges are made through the write
functions like real ones, and each campaign gets them only once (when it has
none). The result: Konstantin's collection in progress,
Alesia's goal promised with money still on its way, Siarhei's past collection
closed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from djmoney.money import Money
from PIL import Image, ImageDraw

from campaigns import photos
from campaigns.models import BudgetLine, Campaign, Photo, TeamMember
from campaigns.permissions import ORGANIZERS_GROUP, VOLUNTEERS_GROUP
from donations.models import Pledge
from donations.pledging import Donor, gift_record, pledge_create, pledge_receive

# Every text of the demo campaigns in the five languages of the site, each
# written as a native speaker would write it for a donation page (names too:
# Канстанцін, Константин, Костянтин), so `make run` shows whole pages.
SEED_STORY = {
    "en": """\
I grew up in Rechytsa, in the south of Belarus. I had a job, a girlfriend and a \
quiet life, until the evening of **9 August 2020**, the day of the presidential \
election.

## Three years for trying to help

That evening friends and I joined a small crowd in the town centre, talking \
about the vote. Officers arrived and began taking people away one by one. When \
I saw a young man being dragged off, I tried to push the policeman away from \
him. I could not save him, and it cost me three years.

They came for me at five in the morning on 12 May 2021. After ten days of \
administrative arrest a criminal case followed, and on 22 September 2021 I was \
sentenced to three years in a penal colony. I would rather not describe those \
years.

## Leaving

I was released in February 2024. The police kept visiting my brother's flat, \
where a small child lives, late at night, for "preventive checks". Then a new \
case was opened against me without any notice. I understood they would not \
stop until I was behind bars again, and on **3 April 2024** I left Belarus.

## Starting over

I have applied for international protection in Poland. Until my documents \
are ready I cannot work, and I have been living on borrowed money since my \
release. With a place to live for the first months and my debts paid, I can \
start again on my own feet.

> Thank you, in advance, for any help.

— Konstantin M.
""",
    "pl": """\
Pochodzę z Rzeczycy na południu Białorusi. Miałem pracę, dziewczynę i spokojne \
życie — do wieczoru **9 sierpnia 2020 roku**, dnia wyborów prezydenckich.

## Trzy lata za próbę pomocy

Tego wieczoru poszedłem z przyjaciółmi do centrum miasta, gdzie zebrała się \
niewielka grupa ludzi rozmawiających o wyborach. Przyjechali funkcjonariusze i \
zaczęli zabierać ludzi, jednego po drugim. Kiedy zobaczyłem, jak ciągną jakiegoś \
chłopaka, próbowałem odepchnąć od niego milicjanta. Nie zdołałem go obronić, a \
sam zapłaciłem za to trzema latami życia.

Przyszli po mnie 12 maja 2021 roku o piątej rano. Po dziesięciu dniach aresztu \
administracyjnego wszczęto przeciwko mnie sprawę karną, a 22 września 2021 roku \
zostałem skazany na trzy lata kolonii karnej. Wolałbym nie opisywać tych lat.

## Wyjazd

Wyszedłem na wolność w lutym 2024 roku. Milicja ciągle przychodziła późno w \
nocy do mieszkania mojego brata, gdzie mieszka małe dziecko — niby na „kontrole \
profilaktyczne”. Potem bez żadnego zawiadomienia wszczęto przeciwko mnie nową \
sprawę. Zrozumiałem, że nie zostawią mnie w spokoju, dopóki znowu nie trafię za \
kraty, i **3 kwietnia 2024 roku** wyjechałem z Białorusi.

## Nowy początek

Złożyłem w Polsce wniosek o ochronę międzynarodową. Dopóki nie mam dokumentów, \
nie mogę pracować, a od wyjścia na wolność żyję z pożyczonych pieniędzy. Jeśli \
przez pierwsze miesiące będę miał dach nad głową i spłacę długi, stanę na nogi i \
zacznę wszystko od nowa.

> Z góry dziękuję za każdą pomoc.

— Konstantin M.
""",
    "be": """\
Я вырас у Рэчыцы, на поўдні Беларусі. У мяне была праца, дзяўчына і спакойнае \
жыццё — да вечара **9 жніўня 2020 года**, дня прэзідэнцкіх выбараў.

## Тры гады за спробу дапамагчы

Таго вечара мы з сябрамі далучыліся да невялікага натоўпу ў цэнтры горада: \
людзі абмяркоўвалі выбары. Прыехалі сілавікі і пачалі забіраць людзей аднаго за \
адным. Калі я ўбачыў, як цягнуць нейкага хлопца, я паспрабаваў адапхнуць ад яго \
міліцыянера. Выратаваць хлопца я не змог, а сам заплаціў за гэта трыма гадамі \
жыцця.

Па мяне прыйшлі 12 мая 2021 года а пятай гадзіне раніцы. Пасля дзесяці сутак \
адміністрацыйнага арышту завялі крымінальную справу, і 22 верасня 2021 года мяне \
асудзілі на тры гады калоніі. Пра гэтыя гады я лепш не буду расказваць.

## Ад'езд

Я выйшаў на волю ў лютым 2024 года. Міліцыя ўвесь час прыходзіла позна ўначы ў \
кватэру майго брата, дзе жыве маленькае дзіця, — нібыта на «прафілактычныя \
праверкі». Потым на мяне без усякага папярэджання завялі новую справу. Я \
зразумеў, што мяне не пакінуць у спакоі, пакуль зноў не пасадзяць, і **3 \
красавіка 2024 года** з'ехаў з Беларусі.

## Пачаць спачатку

У Польшчы я падаў заяву на міжнародную абарону. Пакуль няма дакументаў, \
працаваць я не магу і з дня вызвалення жыву ў доўг. Калі на першыя месяцы ў мяне \
будзе дах над галавой і я раздам даўгі, я змагу стаць на ногі і пачаць усё \
спачатку.

> Загадзя дзякую за ўсякую дапамогу.

— Канстанцін М.
""",
    "ru": """\
Я вырос в Речице, на юге Беларуси. У меня была работа, девушка и спокойная \
жизнь — до вечера **9 августа 2020 года**, дня президентских выборов.

## Три года за попытку помочь

В тот вечер мы с друзьями присоединились к небольшой толпе в центре города: \
люди обсуждали выборы. Приехали силовики и начали забирать людей одного за \
другим. Когда я увидел, как тащат какого-то парня, я попытался оттолкнуть от \
него милиционера. Спасти его я не смог, а сам заплатил за это тремя годами \
жизни.

За мной пришли 12 мая 2021 года в пять утра. После десяти суток \
административного ареста завели уголовное дело, и 22 сентября 2021 года меня \
приговорили к трём годам колонии. Об этих годах я лучше промолчу.

## Отъезд

Я вышел на свободу в феврале 2024 года. Милиция постоянно приходила поздно ночью \
в квартиру моего брата, где живёт маленький ребёнок, — якобы на \
«профилактические проверки». Потом против меня без всякого уведомления завели \
новое дело. Я понял, что меня не оставят в покое, пока снова не посадят, и **3 \
апреля 2024 года** уехал из Беларуси.

## Начать сначала

В Польше я подал заявление на международную защиту. Пока нет документов, \
работать я не могу и со дня освобождения живу в долг. Если на первые месяцы у \
меня будет крыша над головой и я раздам долги, я смогу встать на ноги и начать \
всё сначала.

> Заранее благодарю за любую помощь.

— Константин М.
""",
    "uk": """\
Я виріс у Річиці, на півдні Білорусі. У мене була робота, дівчина і спокійне \
життя — до вечора **9 серпня 2020 року**, дня президентських виборів.

## Три роки за спробу допомогти

Того вечора ми з друзями приєдналися до невеликого натовпу в центрі міста: люди \
обговорювали вибори. Приїхали силовики й почали забирати людей одного за одним. \
Коли я побачив, як тягнуть якогось хлопця, я спробував відштовхнути від нього \
міліціонера. Врятувати його я не зміг, а сам заплатив за це трьома роками \
життя.

По мене прийшли 12 травня 2021 року о п'ятій ранку. Після десяти діб \
адміністративного арешту порушили кримінальну справу, і 22 вересня 2021 року \
мене засудили до трьох років колонії. Про ці роки я краще промовчу.

## Від'їзд

Я вийшов на волю в лютому 2024 року. Міліція постійно приходила пізно вночі до \
квартири мого брата, де живе маленька дитина, — нібито на «профілактичні \
перевірки». Потім проти мене без жодного повідомлення відкрили нову справу. Я \
зрозумів, що мене не залишать у спокої, доки знову не посадять, і **3 квітня \
2024 року** виїхав з Білорусі.

## Почати спочатку

У Польщі я подав заяву на міжнародний захист. Поки немає документів, я не можу \
працювати і від дня звільнення живу в борг. Якщо на перші місяці в мене буде дах \
над головою і я віддам борги, я зможу стати на ноги й почати все спочатку.

> Наперед дякую за будь-яку допомогу.

— Костянтин М.
""",
}


@dataclass(frozen=True)
class Line:
    """A budget line: its target and its texts, by language."""

    target: str
    label: dict[str, str]
    note: dict[str, str] = field(default_factory=dict)


SEED_LINES = [
    Line(
        "1000",
        label={
            "en": "Rent for the first three months",
            "pl": "Czynsz za pierwsze trzy miesiące",
            "be": "Арэнда жылля на першыя тры месяцы",
            "ru": "Аренда жилья на первые три месяца",
            "uk": "Оренда житла на перші три місяці",
        },
        note={
            "en": "A room, deposit included",
            "pl": "Pokój, razem z kaucją",
            "be": "Пакой, разам з заставай",
            "ru": "Комната, включая залог",
            "uk": "Кімната, разом із заставою",
        },
    ),
    Line(
        "400",
        label={"en": "Food", "pl": "Jedzenie", "be": "Ежа", "ru": "Еда", "uk": "Їжа"},
        note={
            "en": "Groceries for the first three months",
            "pl": "Zakupy spożywcze na pierwsze trzy miesiące",
            "be": "Прадукты на першыя тры месяцы",
            "ru": "Продукты на первые три месяца",
            "uk": "Продукти на перші три місяці",
        },
    ),
    Line(
        "300",
        label={
            "en": "Clothing and household items",
            "pl": "Ubrania i rzeczy do domu",
            "be": "Адзенне і рэчы для дому",
            "ru": "Одежда и вещи для дома",
            "uk": "Одяг і речі для дому",
        },
        note={
            "en": "Winter clothes, bedding, kitchen basics",
            "pl": "Ciepłe ubrania, pościel, podstawowe naczynia",
            "be": "Зімовае адзенне, пасцельная бялізна, самы патрэбны посуд",
            "ru": "Зимняя одежда, постельное бельё, самая нужная посуда",
            "uk": "Зимовий одяг, постільна білизна, найпотрібніший посуд",
        },
    ),
    Line(
        "800",
        label={
            "en": "Paying off debts",
            "pl": "Spłata długów",
            "be": "Пагашэнне даўгоў",
            "ru": "Погашение долгов",
            "uk": "Погашення боргів",
        },
        note={
            "en": "Money borrowed from friends since his release",
            "pl": "Pieniądze pożyczone od znajomych od wyjścia na wolność",
            "be": "Грошы, пазычаныя ў сяброў пасля вызвалення",
            "ru": "Деньги, занятые у друзей после освобождения",
            "uk": "Гроші, позичені в друзів після звільнення",
        },
    ),
]
# The texts given per language ({"en": …, "pl": …}); English is required.
TRANSLATED = ("title", "summary", "story", "payment_other", "over_goal_rule")


def load_demo(*, now: datetime) -> tuple[dict[str, Campaign], list[tuple[str, str]]]:
    """Campaigns, accounts and pledges. Returns the campaigns by slug and the
    accounts as (username, role). Call inside a transaction."""
    campaigns = load_campaigns(now=now)
    accounts = load_accounts(campaigns)
    load_demo_pledges(campaigns, now=now)
    load_demo_report(campaigns["konstantin"], now=now)
    return campaigns, accounts


SEED_UPDATE = {
    "title": {
        "en": "Konstantin has a flat",
        "pl": "Konstanty ma mieszkanie",
        "be": "У Канстанціна ёсць кватэра",
        "ru": "У Константина есть квартира",
        "uk": "Костянтин має квартиру",
    },
    "body": {
        "en": "He **signed** the lease today. Thank you, everyone who gave!",
        "pl": "Dziś **podpisał** umowę najmu. Dziękujemy wszystkim, którzy wsparli!",
        "be": "Сёння ён **падпісаў** дамову арэнды. Дзякуй усім, хто падтрымаў!",
        "ru": "Сегодня он **подписал** договор аренды. Спасибо всем, кто поддержал!",
        "uk": "Сьогодні він **підписав** договір оренди. Дякуємо всім, хто підтримав!",
    },
}


def load_demo_report(campaign: Campaign, *, now: datetime) -> None:
    """One published update and the first rent paid, for the seed campaign."""
    from donations.models import Spending, Update

    Update.objects.update_or_create(
        campaign=campaign,
        title_en=SEED_UPDATE["title"]["en"],
        defaults={
            **in_each_language("title", SEED_UPDATE["title"]),
            **in_each_language("body", SEED_UPDATE["body"]),
            "published": True,
            "published_at": now - timedelta(days=1),
            # Demo donors have example addresses: nothing to send them.
            "emailed_at": now - timedelta(days=1),
        },
    )
    rent = campaign.lines.order_by("position").first()
    Spending.objects.update_or_create(
        line=rent,
        note="First month's rent and deposit",
        defaults={
            "spent_on": (now - timedelta(days=1)).date(),
            "amount": Money(Decimal("550.00"), campaign.currency),
        },
    )


def load_campaigns(*, now: datetime) -> dict[str, Campaign]:
    """The seed campaign and three others in other states, keyed by slug."""
    local_now = timezone.localtime(now)
    in_12_days = local_now.replace(minute=0, second=0, microsecond=0) + timedelta(
        days=12
    )
    ended_3_days_ago = timezone.make_aware(
        datetime.combine(local_now.date() - timedelta(days=3), time(20, 0))
    )
    campaigns = {}
    campaigns["konstantin"] = upsert_campaign(
        slug="konstantin",
        title={
            "en": (
                "Helping former political prisoner Konstantin M. start a new life "
                "in Poland"
            ),
            "pl": (
                "Pomóżmy byłemu więźniowi politycznemu Konstantinowi M. zacząć "
                "nowe życie w Polsce"
            ),
            "be": (
                "Дапаможам былому палітвязню Канстанціну М. пачаць новае жыццё ў "
                "Польшчы"
            ),
            "ru": (
                "Поможем бывшему политзаключённому Константину М. начать новую "
                "жизнь в Польше"
            ),
            "uk": (
                "Допоможімо колишньому політв'язню Костянтину М. почати нове життя "
                "в Польщі"
            ),
        },
        beneficiary_name="Konstantin M.",
        # No city: where he lives is his to tell (PRODUCT: nothing we publish
        # may expose the beneficiary).
        city="",
        country="Poland",
        summary={
            "en": (
                "Jailed for three years after trying to help a stranger at a "
                "protest, Konstantin fled Belarus in 2024 and is starting over in "
                "Poland."
            ),
            "pl": (
                "Konstantin spędził trzy lata w kolonii karnej za to, że na "
                "proteście próbował obronić nieznajomego. W 2024 roku musiał "
                "uciekać z Białorusi i teraz zaczyna wszystko od nowa w Polsce."
            ),
            "be": (
                "За спробу заступіцца за незнаёмага на акцыі пратэсту Канстанцін "
                "адбыў тры гады ў калоніі. У 2024 годзе ён быў вымушаны пакінуць "
                "Беларусь і цяпер пачынае жыццё нанова ў Польшчы."
            ),
            "ru": (
                "За попытку заступиться за незнакомца на акции протеста Константин "
                "провёл три года в колонии. В 2024 году он был вынужден уехать из "
                "Беларуси и теперь начинает жизнь заново в Польше."
            ),
            "uk": (
                "За спробу заступитися за незнайомця на акції протесту Костянтин "
                "відбув три роки в колонії. У 2024 році він був змушений виїхати з "
                "Білорусі й тепер починає життя наново в Польщі."
            ),
        },
        story=SEED_STORY,
        currency="EUR",
        published=True,
        account_holder="Zbor Demo Foundation",
        iban="PL61109010140000071219812874",
        bic="WBKPPLPP",
        bank_name="Demo Bank",
        organizer_name="Belarusian House in Warsaw",
        contact_email="help@example.org",
        contact_telegram="@zbor_demo",
        attested_by="Dapamoga Foundation",
        attested_on=date(2026, 11, 20),
        attestation_url="https://example.org/confirmed/konstantin",
        lines=SEED_LINES,
        photo_alt="A drawing of a small room with a window and a table",
    )
    campaigns["alesia-laptop"] = upsert_campaign(
        slug="alesia-laptop",
        title={
            "en": "A laptop and a course for Alesia K.",
            "pl": "Laptop i kurs dla Alesi K.",
            "be": "Ноўтбук і курсы для Алесі К.",
            "ru": "Ноутбук и курсы для Алеси К.",
            "uk": "Ноутбук і курси для Алесі К.",
        },
        beneficiary_name="Alesia K.",
        # The city is in the texts, where each language writes its name.
        city="",
        country="Poland",
        summary={
            "en": (
                "After leaving Belarus, Alesia is retraining in Białystok as a "
                "software tester."
            ),
            "pl": (
                "Alesia wyjechała z Białorusi i w Białymstoku przekwalifikowuje się "
                "na testerkę oprogramowania."
            ),
            "be": (
                "Алеся з'ехала з Беларусі і ў Беластоку вучыцца на тэсціроўшчыцу "
                "праграмнага забеспячэння."
            ),
            "ru": (
                "Алеся уехала из Беларуси и теперь в Белостоке переучивается на "
                "тестировщицу программного обеспечения."
            ),
            "uk": (
                "Алеся виїхала з Білорусі й тепер у Білостоці перекваліфіковується "
                "на тестувальницю програмного забезпечення."
            ),
        },
        story={
            "en": (
                "Alesia taught music for twelve years. In Poland she is learning "
                "to test software, and needs a laptop of her own and the last "
                "part of her course.\n\n- a second-hand laptop\n- the course fee\n"
                "- bus tickets to the classes"
            ),
            "pl": (
                "Alesia przez dwanaście lat uczyła muzyki. W Polsce uczy się "
                "testowania oprogramowania i potrzebuje własnego laptopa oraz "
                "pieniędzy na ostatnią część kursu.\n\n- używany laptop\n"
                "- opłata za kurs\n- bilety autobusowe na zajęcia"
            ),
            "be": (
                "Алеся дванаццаць гадоў выкладала музыку. У Польшчы яна вучыцца "
                "тэсціраваць праграмы, і ёй патрэбны свой ноўтбук і грошы на "
                "апошнюю частку курсаў.\n\n- ужываны ноўтбук\n- аплата курсаў\n"
                "- праязныя на аўтобус да заняткаў"
            ),
            "ru": (
                "Алеся двенадцать лет преподавала музыку. В Польше она учится "
                "тестировать программы, и ей нужны собственный ноутбук и деньги "
                "на последнюю часть курса.\n\n- подержанный ноутбук\n"
                "- оплата курса\n- проездные на автобус до занятий"
            ),
            "uk": (
                "Алеся дванадцять років викладала музику. У Польщі вона вчиться "
                "тестувати програми, і їй потрібні власний ноутбук і гроші на "
                "останню частину курсу.\n\n- уживаний ноутбук\n- оплата курсу\n"
                "- проїзні на автобус до занять"
            ),
        },
        currency="PLN",
        deadline=in_12_days,
        published=True,
        over_goal_rule={
            "en": "Anything over the goal pays for Alesia's exam fee.",
            "pl": "Nadwyżka ponad cel pokryje opłatę za egzamin Alesi.",
            "be": "Грошы, сабраныя звыш мэты, пойдуць на аплату экзамену Алесі.",
            "ru": "Всё, что соберём сверх цели, пойдёт на оплату экзамена Алеси.",
            "uk": "Усе, що зберемо понад мету, піде на оплату іспиту Алесі.",
        },
        account_holder="Zbor Demo Foundation",
        iban="PL61109010140000071219812874",
        lines=[
            Line(
                "2400",
                label={
                    "en": "A second-hand laptop",
                    "pl": "Używany laptop",
                    "be": "Ужываны ноўтбук",
                    "ru": "Подержанный ноутбук",
                    "uk": "Уживаний ноутбук",
                },
                note={
                    "en": "Good enough for testing tools and video lessons",
                    "pl": "Wystarczy do narzędzi testerskich i lekcji wideo",
                    "be": "Хопіць для праграм тэсціроўшчыка і відэаўрокаў",
                    "ru": "Хватит для программ тестировщика и видеоуроков",
                    "uk": "Вистачить для програм тестувальника й відеоуроків",
                },
            ),
            Line(
                "1800",
                label={
                    "en": "Course fee",
                    "pl": "Opłata za kurs",
                    "be": "Аплата курсаў",
                    "ru": "Оплата курса",
                    "uk": "Оплата курсу",
                },
                note={
                    "en": "The last two months of the course",
                    "pl": "Dwa ostatnie miesiące kursu",
                    "be": "Апошнія два месяцы курсаў",
                    "ru": "Последние два месяца обучения",
                    "uk": "Останні два місяці навчання",
                },
            ),
            Line(
                "300",
                label={
                    "en": "Bus tickets",
                    "pl": "Bilety autobusowe",
                    "be": "Праезд на аўтобусе",
                    "ru": "Проезд на автобусе",
                    "uk": "Проїзд автобусом",
                },
                note={
                    "en": "Monthly passes to the classes until the exam",
                    "pl": "Bilety miesięczne na zajęcia aż do egzaminu",
                    "be": "Праязныя да заняткаў аж да экзамену",
                    "ru": "Проездные до занятий вплоть до экзамена",
                    "uk": "Проїзні до занять аж до іспиту",
                },
            ),
        ],
    )
    campaigns["siarhei-dentist"] = upsert_campaign(
        slug="siarhei-dentist",
        title={
            "en": "Dental treatment for Siarhei P.",
            "pl": "Leczenie zębów dla Siarheja P.",
            "be": "Лячэнне зубоў для Сяргея П.",
            "ru": "Лечение зубов для Сергея П.",
            "uk": "Лікування зубів для Сергія П.",
        },
        beneficiary_name="Siarhei P.",
        city="",
        country="Lithuania",
        summary={
            "en": (
                "Years in detention left Siarhei, now in Vilnius, with teeth that "
                "need treatment."
            ),
            "pl": (
                "Po latach w więzieniu Siarhej, który mieszka teraz w Wilnie, "
                "potrzebuje leczenia zębów."
            ),
            "be": (
                "Пасля гадоў у зняволенні Сяргею, які цяпер жыве ў Вільні, трэба "
                "лячыць зубы."
            ),
            "ru": (
                "После лет в заключении Сергею, который теперь живёт в Вильнюсе, "
                "нужно лечить зубы."
            ),
            "uk": (
                "Після років ув'язнення Сергієві, який тепер живе у Вільнюсі, "
                "потрібно лікувати зуби."
            ),
        },
        story={
            "en": (
                "In detention Siarhei had no dental care for years, and now "
                "several teeth need treatment. A clinic in Vilnius has drawn up "
                "his treatment plan.\n\nThis collection has ended: thank you, "
                "everyone who gave."
            ),
            "pl": (
                "W więzieniu Siarhej latami nie miał opieki stomatologicznej i "
                "teraz musi wyleczyć kilka zębów. Klinika w Wilnie przygotowała "
                "plan leczenia.\n\nZbiórka dobiegła końca: dziękujemy wszystkim, "
                "którzy pomogli."
            ),
            "be": (
                "За гады ў зняволенні Сяргей не меў ніякай стаматалагічнай "
                "дапамогі, і цяпер яму трэба вылечыць некалькі зубоў. Клініка ў "
                "Вільні склала план лячэння.\n\nЗбор скончыўся: дзякуй усім, хто "
                "дапамог."
            ),
            "ru": (
                "За годы в заключении Сергей не получал никакой стоматологической "
                "помощи, и теперь ему нужно вылечить несколько зубов. Клиника в "
                "Вильнюсе составила план лечения.\n\nСбор завершён: спасибо всем, "
                "кто помог."
            ),
            "uk": (
                "За роки ув'язнення Сергій не мав жодної стоматологічної допомоги, "
                "і тепер йому треба вилікувати кілька зубів. Клініка у Вільнюсі "
                "склала план лікування.\n\nЗбір завершено: дякуємо всім, хто "
                "допоміг."
            ),
        },
        currency="EUR",
        deadline=ended_3_days_ago,
        published=True,
        # No bank account: a published campaign needs some way to pay.
        payment_other={
            "en": "Cash to the Vilnius volunteers, by appointment.",
            "pl": "Gotówką u wolontariuszy w Wilnie, po wcześniejszym umówieniu się.",
            "be": "Наяўнымі валанцёрам у Вільні, па папярэдняй дамоўленасці.",
            "ru": "Наличными волонтёрам в Вильнюсе, по предварительной договорённости.",
            "uk": "Готівкою волонтерам у Вільнюсі, за попередньою домовленістю.",
        },
        # Like the seed campaign's real end: €2,665 collected of a €2,500 goal.
        lines=[
            Line(
                "1900",
                label={
                    "en": "Treatment",
                    "pl": "Leczenie",
                    "be": "Лячэнне",
                    "ru": "Лечение",
                    "uk": "Лікування",
                },
                note={
                    "en": "The clinic's plan: fillings and two crowns",
                    "pl": "Plan kliniki: plomby i dwie korony",
                    "be": "План клінікі: пломбы і дзве каронкі",
                    "ru": "План клиники: пломбы и две коронки",
                    "uk": "План клініки: пломби та дві коронки",
                },
            ),
            Line(
                "600",
                label={
                    "en": "Prescriptions",
                    "pl": "Leki",
                    "be": "Лекі",
                    "ru": "Лекарства",
                    "uk": "Ліки",
                },
                note={
                    "en": "Medicines and check-ups after the treatment",
                    "pl": "Leki i wizyty kontrolne po leczeniu",
                    "be": "Лекі і кантрольныя агляды пасля лячэння",
                    "ru": "Лекарства и контрольные осмотры после лечения",
                    "uk": "Ліки й контрольні огляди після лікування",
                },
            ),
        ],
        closed=ended_3_days_ago,
    )
    campaigns["tatsiana-draft"] = upsert_campaign(
        slug="tatsiana-draft",
        title={
            "en": "Medical tests for Tatsiana L. (draft)",
            "pl": "Badania lekarskie dla Tacciany L. (szkic)",
            "be": "Медыцынскія аналізы для Таццяны Л. (чарнавік)",
            "ru": "Медицинские анализы для Татьяны Л. (черновик)",
            "uk": "Медичні аналізи для Тетяни Л. (чернетка)",
        },
        beneficiary_name="Tatsiana L.",
        city="Kraków",
        country="Poland",
        summary={
            "en": "A draft the organizers are still writing: not public yet.",
            "pl": "Szkic, nad którym organizatorzy jeszcze pracują: niepubliczny.",
            "be": "Чарнавік, які арганізатары яшчэ пішуць: пакуль не апублікаваны.",
            "ru": "Черновик, который организаторы ещё пишут: пока не опубликован.",
            "uk": "Чернетка, над якою організатори ще працюють: поки не опублікована.",
        },
        story={
            "en": "*To be written with Tatsiana.*",
            "pl": "*Do napisania razem z Taccianą.*",
            "be": "*Напішам разам з Таццянай.*",
            "ru": "*Напишем вместе с Татьяной.*",
            "uk": "*Напишемо разом із Тетяною.*",
        },
        currency="EUR",
        published=False,
        lines=[
            Line(
                "350",
                label={
                    "en": "Medical tests",
                    "pl": "Badania lekarskie",
                    "be": "Медыцынскія аналізы",
                    "ru": "Медицинские анализы",
                    "uk": "Медичні аналізи",
                },
            )
        ],
    )
    return campaigns


def upsert_campaign(
    *,
    slug: str,
    lines: list[Line],
    photo_alt: str = "",
    closed: datetime | None = None,
    **fields,
) -> Campaign:
    fields.setdefault("deadline", None)
    fields["closed_at"] = closed
    fields["closed_reason"] = Campaign.ClosedReason.DEADLINE if closed else ""
    for name in TRANSLATED:
        fields.update(in_each_language(name, fields.pop(name, {})))
    campaign, _ = Campaign.objects.update_or_create(slug=slug, defaults=fields)
    for position, line in enumerate(lines):
        # Found by the English label, so a second run updates the line.
        BudgetLine.objects.update_or_create(
            campaign=campaign,
            label_en=line.label["en"],
            defaults={
                **in_each_language("label", line.label),
                **in_each_language("note", line.note),
                "target": Money(Decimal(line.target), campaign.currency),
                "position": position,
            },
        )
    if photo_alt and not campaign.photos.exists():
        photo = Photo(campaign=campaign, alt_text=photo_alt, is_cover=True)
        photos.apply(photo, photos.prepare(demo_picture()))
        photo.save()
    return campaign


def in_each_language(name: str, texts: dict[str, str]) -> dict[str, str | None]:
    """{"title_en": …, "title_pl": …} for every language of the site; another
    language without a text is cleared (None), as import_campaign does."""
    return {
        f"{name}_{code}": texts.get(code) or ("" if code == "en" else None)
        for code, _name in settings.LANGUAGES
    }


def demo_picture() -> SimpleUploadedFile:
    """A drawing made here, so the demo needs no outside files."""
    image = Image.new("RGB", (1600, 1000), (226, 232, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 700, 1600, 1000), fill=(181, 148, 116))  # floor
    draw.rectangle((980, 140, 1420, 560), fill=(158, 197, 232))  # window
    draw.line((1200, 140, 1200, 560), fill=(255, 255, 255), width=14)
    draw.line((980, 350, 1420, 350), fill=(255, 255, 255), width=14)
    draw.rectangle((260, 520, 820, 560), fill=(120, 84, 52))  # table
    draw.rectangle((300, 560, 330, 780), fill=(120, 84, 52))
    draw.rectangle((750, 560, 780, 780), fill=(120, 84, 52))
    draw.ellipse((480, 440, 600, 520), fill=(214, 96, 77))  # a bowl of apples
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile("demo.jpg", buffer.getvalue(), "image/jpeg")


def load_accounts(campaigns: dict[str, Campaign]) -> list[tuple[str, str]]:
    """organizer, volunteer (staff, in every demo team) and admin (superuser)."""
    # The groups and their permissions come from migration 0002; the demo
    # accounts join them and the team of every demo campaign.
    organizers = Group.objects.get(name=ORGANIZERS_GROUP)
    volunteers = Group.objects.get(name=VOLUNTEERS_GROUP)
    accounts = [
        ("organizer", organizers, TeamMember.Role.ORGANIZER),
        ("volunteer", volunteers, TeamMember.Role.VOLUNTEER),
    ]
    for username, group, role in accounts:
        user = demo_user(username, is_superuser=False)
        user.groups.add(group)
        for campaign in campaigns.values():
            TeamMember.objects.update_or_create(
                campaign=campaign, user=user, defaults={"role": role}
            )
    demo_user("admin", is_superuser=True)
    return [
        ("organizer", "organizer: writes campaigns"),
        ("volunteer", "volunteer: confirms pledges"),
        ("admin", "superuser"),
    ]


def demo_user(username: str, *, is_superuser: bool) -> User:
    user, _ = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.org"}
    )
    user.is_staff = True
    user.is_superuser = is_superuser
    user.set_password(username)
    user.save()
    return user


# (amount, line index or None, donor, days ago, received amount or None)
KONSTANTIN = [
    ("500", 0, Donor(name="Hanna", message="Stay strong, Konstantin."), 5, "500"),
    ("120", None, Donor(is_anonymous=True), 4, "118.50"),
    ("50", 1, Donor(name="Pavel", show_amount=True, message="Жыве Беларусь!"), 3, None),
    ("200", None, Donor(name="Ewa", message="Powodzenia!"), 2, "200"),
    ("35", 2, Donor(name="Mikhail", show_amount=True), 1, None),
    ("25", None, Donor(name="Olena"), 0, None),
]
ALESIA = [
    ("2400", 0, Donor(name="A friend from Minsk"), 4, "2400"),
    (
        "800",
        1,
        Donor(is_anonymous=True, message="Good luck with the course!"),
        2,
        "800",
    ),
    ("1500", None, Donor(name="Teachers of School No. 5", show_amount=True), 1, None),
]
# Siarhei's collection ended before this demo: its money came in as gifts.
SIARHEI_GIFTS = [("1200", 0), ("650", None), ("815", None)]  # €2,665


def load_demo_pledges(campaigns: dict[str, Campaign], *, now: datetime) -> int:
    """Add the demo pledges to campaigns that have none. Returns how many."""
    made = 0
    plans = {"konstantin": KONSTANTIN, "alesia-laptop": ALESIA}
    for slug, plan in plans.items():
        campaign = campaigns.get(slug)
        if campaign is None or campaign.pledges.exists():
            continue
        lines = list(campaign.lines.all())
        for amount, index, donor, days_ago, received in plan:
            pledge = pledge_create(
                campaign=campaign,
                line=None if index is None else lines[index],
                amount=Decimal(amount),
                donor=donor,
                submission_token=None,
                now=now,
            )
            # Spread over the last days: the page says "3 days ago", not a time.
            Pledge.objects.filter(pk=pledge.pk).update(
                created_at=now - timedelta(days=days_ago)
            )
            if received is not None:
                pledge_receive(
                    pledge=pledge, amount=Decimal(received), by=None, now=now
                )
            made += 1
    siarhei = campaigns.get("siarhei-dentist")
    if siarhei is not None and not siarhei.pledges.exists():
        lines = list(siarhei.lines.all())
        for amount, index in SIARHEI_GIFTS:
            gift_record(
                campaign=siarhei,
                amount=Decimal(amount),
                line=None if index is None else lines[index],
                note="Demo: transfer received before the deadline",
                by=None,
                # The last one goes over the goal, as staff would confirm it.
                confirmed=True,
                now=now,
            )
            made += 1
    return made
