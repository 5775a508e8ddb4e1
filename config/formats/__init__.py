"""Dates and times as each language writes them (settings.FORMAT_MODULE_PATH).

Django's own formats, with what reads unnaturally changed: Belarusian, which
Django has none for (it got English's "Nov. 28, 2026, 8 p.m."), Polish short
dates with dots, and a word or a comma between the date and the time.
"""
