from django.urls import path

from donations import self_service, statement_views, views

app_name = "donations"

urlpatterns = [
    path("c/<slug:slug>/", views.campaign_detail, name="campaign"),
    path("c/<slug:slug>/give/", views.pledge, name="pledge"),
    path("thanks/<str:access_key>/", views.thanks, name="thanks"),
    path("thanks/<str:access_key>/qr.svg", views.thanks_qr, name="thanks_qr"),
    # The donor's own actions (no account: the address is the key).
    path(
        "thanks/<str:access_key>/sent/",
        self_service.transfer_sent,
        name="transfer_sent",
    ),
    path("thanks/<str:access_key>/cancel/", self_service.cancel, name="donor_cancel"),
    path("stop-emails/<str:token>/", self_service.stop_emails, name="stop_emails"),
    path("c/<slug:slug>/my-pledge/", self_service.pledge_link, name="pledge_link"),
    # The team's desk (staff only): every job done with money.
    path("desk/", views.desk, name="desk"),
    path("desk/p/<str:reference>/", views.pledge_card, name="desk_pledge"),
    path("desk/p/<str:reference>/receive/", views.receive, name="desk_receive"),
    path("desk/p/<str:reference>/correct/", views.correct, name="desk_correct"),
    path("desk/p/<str:reference>/undo/", views.undo, name="desk_undo"),
    path("desk/p/<str:reference>/cancel/", views.cancel, name="desk_cancel"),
    path("desk/p/<str:reference>/note/", views.note, name="desk_note"),
    path(
        "desk/p/<str:reference>/message/",
        views.message_visibility,
        name="desk_message",
    ),
    path("desk/c/<int:campaign_id>/gift/", views.gift, name="desk_gift"),
    path("desk/c/<int:campaign_id>/close/", views.close, name="desk_close"),
    path("desk/c/<int:campaign_id>/reopen/", views.reopen, name="desk_reopen"),
    path("desk/c/<int:campaign_id>/pledges.csv", views.export, name="desk_export"),
    # Bank statements: upload, the CSV columns (once per account), review.
    path("desk/statements/", statement_views.statement_list, name="desk_statements"),
    path(
        "desk/statements/columns/",
        statement_views.statement_columns,
        name="desk_statement_columns",
    ),
    path(
        "desk/statements/<int:statement_id>/",
        statement_views.statement_review,
        name="desk_statement",
    ),
]
