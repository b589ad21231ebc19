"""A refused admin page is themed and names the permission the editor lacks."""

import pytest
from django.contrib.auth.models import Permission

pytestmark = pytest.mark.django_db


def test_a_model_page_names_the_missing_permission(editor_client, editor):
    response = editor_client.get("/admin/auth/user/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "You are not allowed to do this" in page
    assert "Can view user" in page and "auth.view_user" in page
    assert f"({editor.username})" in page
    assert 'id="site-name"' in page  # the admin's header, not a bare page


def test_a_page_that_needs_another_permission_names_that_one(editor_client, editor):
    editor.user_permissions.add(Permission.objects.get(codename="view_user"))

    response = editor_client.get("/admin/auth/user/add/")

    assert response.status_code == 403
    assert "Can add user" in response.content.decode()


def test_a_refusal_without_a_model_permission_says_so_plainly(editor_client):
    from django.core.exceptions import PermissionDenied

    from editors import forbidden

    response = forbidden.permission_denied(
        editor_client.get("/admin/").wsgi_request, PermissionDenied("Imports are closed today.")
    )

    assert response.status_code == 403
    assert "Imports are closed today." in response.content.decode()
