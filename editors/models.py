from django.db import models


class EditorActivity(models.Model):
    """No table: the admin's "Editor activity" page and its permission hang off this model.

    The figures are read from the edit history (``editors.selectors.editor_activity``).
    The permission ``editors.view_activity`` is the only one: there is nothing to add,
    change or delete. (This module also makes Django send post_migrate to this app,
    which loads the admin theme.)
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_activity", "Can view the editor activity page")]
        verbose_name = "editor activity"
        verbose_name_plural = "editor activity"

    def __str__(self) -> str:
        return "editor activity"
