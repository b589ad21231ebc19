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


class Job(models.Model):
    """No table: the job centre (Editors > Jobs, ``editors.job_centre``) and its permission.

    The jobs themselves are each app's (imports, bulk edits, bulk recompute runs), listed
    through ``config.jobs``. Everyone with the admin sees their own there; the one
    permission, ``editors.view_all_jobs``, shows everyone's: for whoever runs the system
    or leads the editors, given by hand (the editors' group does not have it).
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_all_jobs", "Can see every editor's jobs")]
        verbose_name = "job"
        verbose_name_plural = "jobs"

    def __str__(self) -> str:
        return "jobs"
