"""The people who edit the catalog: accounts, the admin's look, editor activity.

``services`` (accounts, groups, the admin theme), ``selectors`` (what each editor did, per
day), ``admin`` (Editor activity), ``job_centre`` (Editors > Jobs: everyone's background
jobs in one list), ``branding`` and ``views`` (our logo and favicon, and
the theme's colours as a stylesheet: no inline style for the Content-Security-Policy),
``forbidden`` (the 403 page, naming the missing permission), ``receivers`` (the admin
theme loaded after every migrate), ``templatetags`` (``humanize_words``: durations in
words on the admin's pages; ``admin_words``: a list's select-all checkbox in the editors'
words), ``models`` (the Editor activity and Jobs pages' permissions); its static files:
``admin.css`` (where the theme falls short), ``live_refresh.js`` (a page's figures
swapped in place while a worker moves them), ``confirm.js`` (a form's question before it
is sent, from its ``data-confirm``) and ``loading.svg`` (the "add another" window's
loading ring, a data: image in the theme).
"""
