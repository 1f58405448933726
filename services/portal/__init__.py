"""The portal: the partners' web UI (port 8005). See app.py for how it starts.

Layout:
    app.py          create_app() (shared.pages.create_front_end: sessions, CSRF, languages, security headers,
                    /healthz /readyz /metrics), main(["migrate" | "worker"]) (shared.service.run_cli), worker_plan
    context.py      the portal's context (portal_context()) and name, shared by the app, views and worker
    settings.py     the portal's settings (PORTAL_*, SMTP_URL), read through shared.config
    people.py       who may sign in (the portal's own store until the identity service lands)
    signin.py       one-time sign-in links (hashed, 15 minutes, single use) and their rate limits
    throttle.py     attempts per key and window, in the database
    mail.py         mails in the reader's language (text + HTML) queued under a key, sent by the worker
    watch.py        guests' registrations (promotion mails) and workshop events (rescheduled/cancelled mails)
    clients.py      the API services with a token for the signed-in person
    db.py           the portal's tables
    views/          public (workshops, newsletter, contact), auth, municipality, steering
    templates/      Jinja pages and mails; static/portal.css (its own rules; the common ones: shared/static)
    translations/   German catalogue (msgids are English; German is the default language)

Translations, after changing a user-visible string (run in services/portal):
    pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-wrap -o translations/messages.pot .
    pybabel update -i translations/messages.pot -d translations -l de --no-wrap
    pybabel compile -d translations
"""
