"""The Content-Security-Policy of every page (django-csp's middleware, in ``core``).

Strict on purpose: ``default-src 'self'`` with no ``'unsafe-inline'``, so a script or style
that an attacker slips into a product's text cannot run; every script, style and image of
the admin comes from this site's static files or views (docs/architecture.md). Inline code
in a third-party template is overridden under ``templates/`` rather than allowed here.
``CSP_REPORT_ONLY=1`` sends the same policy as ``Content-Security-Policy-Report-Only``:
the browser reports what it would block (in its console) and blocks nothing.
"""

from csp.constants import NONE, SELF

from config.env import env_bool

# Not a setting of its own: django-csp 4 takes a setting named CSP_REPORT_ONLY for its
# 3.x configuration and refuses to start (csp.E001).
_report_only = env_bool("CSP_REPORT_ONLY", False)

_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        # The admin's pop-ups are iframes of this site (X_FRAME_OPTIONS = SAMEORIGIN).
        "frame-ancestors": [SELF],
    }
}
CONTENT_SECURITY_POLICY = None if _report_only else _POLICY
CONTENT_SECURITY_POLICY_REPORT_ONLY = _POLICY if _report_only else None
