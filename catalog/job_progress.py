"""What the catalog's background jobs (an import, a bulk edit) share: whether one is still
active, and how far it is; a plain mixin, so the two models keep their own fields."""


class BackgroundJob:
    """What an import and a bulk edit share as jobs a worker runs: ``status`` among the
    class's ``ACTIVE`` ones while it is not over, and ``done`` of ``total`` products."""

    ACTIVE: tuple[str, ...]
    status: str
    done: int
    total: int

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else 0
