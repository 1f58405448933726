"""The admin service: the office's web UI (port 8000). See app.py for how it starts.

Layout:
    app.py          create_app() (shared.pages.create_front_end: sessions, CSRF, languages, security headers,
                    /healthz /readyz /metrics), main(["migrate"]) (shared.service.run_cli)
    context.py      the admin's context (admin_context()) and name, shared by the app and the views
    accounts.py     staff accounts (argon2), login throttling
    db.py           the admin's own tables: staff accounts, failed logins, DLQ replays
    clients.py      the only way to the other services: their HTTP APIs with a per-person staff token
    kafka_ops.py    consumer lag, dead letters and their replay (operations page)
    charts.py       inline SVG bar charts; views/figures.py feeds them
    views/          one blueprint per area (auth, dashboard, calls, selection, workshops, publishing, operations)
    templates/      Jinja pages (macros and stylesheet: shared/templates, shared/static)
    translations/   German catalogue (msgids are English; German is the default language)

Translations, after changing a user-visible string (run in services/admin):
    pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-wrap -o translations/messages.pot .
    pybabel update -i translations/messages.pot -d translations -l de --no-wrap
    (translate the new entries in translations/de/LC_MESSAGES/messages.po)
    pybabel compile -d translations
tests/unit/admin/test_admin_translations.py fails while a German translation is missing or the .mo is stale.
"""
