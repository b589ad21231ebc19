"""Every place our code overrides or reads a library's private internals, in one table.

Each entry names our symbols (``module:qualname``, resolved by import in
``tests/contracts/test_registry.py``), the library and its internals we touch, the behaviour
we rely on in one sentence, the exact versions it was checked against (the pins of
``constraints.txt``: bumping a pin fails the registry test until the entry is checked again),
and the contract tests that fail when the pinned library changes that behaviour. Beside each
override in the code a comment reads ``Registry: config.upstream "<name>"``.

Public, documented extension points (Celery signals, bootsteps' ``StartStopStep``, Django's
``_meta``) are not listed unless we also read something private through them.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Override:
    #: How the code's comments name this entry.
    name: str
    #: Our symbols that override or read the internals (``module:qualname``).
    ours: tuple[str, ...]
    #: The upstream internals touched (``module:qualname``, or ``module:Class.attribute``
    #: for an attribute set on instances).
    internals: tuple[str, ...]
    #: The behaviour we rely on, in one sentence.
    relied_on: str
    #: The pins it was checked against (as in ``constraints.txt``).
    checked: tuple[str, ...]
    #: The contract tests (``tests/contracts/<file>.py::<test>``) that hold it.
    contracts: tuple[str, ...]


_BATCHES = "tests/contracts/test_celery_batches.py"
_CONSUMER = "tests/contracts/test_celery_consumer.py"
_KOMBU = "tests/contracts/test_kombu.py"
_HISTORY = "tests/contracts/test_simple_history.py"
_DJANGO = "tests/contracts/test_django.py"
_OPENPYXL = "tests/contracts/test_openpyxl.py"

CELERY = "celery==5.6.3"
CELERY_BATCHES = "celery-batches==0.11"
KOMBU = "kombu==5.6.2"
AMQP = "amqp==5.4.2"
SIMPLE_HISTORY = "django-simple-history==3.13.0"
DJANGO = "Django==5.2.19"
OPENPYXL = "openpyxl==3.1.5"

OVERRIDES: tuple[Override, ...] = (
    Override(
        name="celery-batches Strategy",
        ours=("stats.batch.consumer:LeanBatches.Strategy", "stats.batch.consumer:BufferedRequest"),
        internals=(
            "celery_batches:Batches.Strategy",
            "celery_batches:Batches._buffer",
            "celery_batches:Batches._count",
            "celery_batches:Batches._do_flush",
        ),
        relied_on="Celery builds each task's message handler from its Strategy on every "
        "consumer start, and Batches._do_flush drains _buffer and _pending, hands every request "
        "whose eta is None to flush() as one list and restarts _count.",
        checked=(CELERY_BATCHES, CELERY),
        contracts=(
            f"{_BATCHES}::test_a_consumer_start_builds_each_handler_from_the_tasks_strategy",
            f"{_BATCHES}::test_do_flush_hands_every_buffered_request_to_flush_as_one_list",
        ),
    ),
    Override(
        name="celery-batches flush",
        ours=("stats.batch.consumer:LeanBatches.flush",),
        internals=(
            "celery_batches.trace:apply_batches_task",
            "celery_batches:SimpleRequest.__init__",
            "celery_batches:Batches._pool",
        ),
        relied_on="apply_batches_task(task, (requests,), loglevel, logfile) runs the task's "
        "run(requests) between the task_prerun and task_postrun signals, and SimpleRequest takes "
        "id, name, args, kwargs, delivery_info, hostname, ignore_result, reply_to, "
        "correlation_id and request_dict in that order.",
        checked=(CELERY_BATCHES,),
        contracts=(f"{_BATCHES}::test_apply_batches_task_runs_the_batch_of_simple_requests",),
    ),
    Override(
        name="celery-batches buffer and flush timer",
        ours=(
            "stats.batch.consumer:LeanBatches.start_consumer",
            "stats.batch.watchdog:BatchFlushWatchdog",
            "stats.batch.control:batch_buffer",
        ),
        internals=(
            "celery_batches:Batches._tref",
            "celery_batches:Batches._buffer",
            "celery_batches:Batches._pending",
            "celery_batches:Batches._count",
            "celery_batches:consume_queue",
        ),
        relied_on="_tref is the repeating timer entry that calls _do_flush, armed by the "
        "strategy when None and cancelled and reset to None by _do_flush once both buffers are "
        "empty; 0.11's own Strategy never resets it on a new consumer (issues #99/#107, fixed "
        "by #108, unreleased), which LeanBatches.start_consumer repairs.",
        checked=(CELERY_BATCHES, KOMBU),
        contracts=(
            f"{_BATCHES}::test_the_flush_timer_entry_lives_in_tref_and_goes_when_all_is_flushed",
            f"{_BATCHES}::test_upstream_strategy_still_keeps_the_old_consumers_timer_entry",
        ),
    ),
    Override(
        name="Celery ack promise",
        ours=(
            "stats.batch.acks:ack_batch",
            "stats.batch.acks:RecordOtherDeliveries",
            "stats.batch.acks:ack_ledger",
        ),
        internals=(
            "celery.worker.consumer.consumer:Consumer.create_task_handler",
            "celery.worker.consumer.consumer:Consumer.strategies",
            "kombu.message:Message.ack_log_error",
            "amqp:Channel",
        ),
        relied_on="A strategy is called with an ack promise that passes its arguments on to "
        "message.ack_log_error(logger, errors, multiple), so ack(logger, errors, True) sends "
        "one basic_ack with multiple set, and Consumer.strategies is a dict of handlers a "
        "later consumer step may wrap.",
        checked=(CELERY, KOMBU, AMQP),
        contracts=(
            f"{_CONSUMER}::test_the_ack_promise_passes_multiple_on_to_one_basic_ack",
            f"{_CONSUMER}::test_the_task_handler_reads_strategies_at_each_message",
        ),
    ),
    Override(
        name="Celery consumer blueprint steps",
        ours=("config.consumer:WorkerConsumer.Blueprint",),
        internals=("celery.worker.consumer.consumer:Consumer.Blueprint.default_steps",),
        relied_on="The consumer's default steps are 'module:Class' names, one of them ending "
        "in ':DelayedDelivery' that no other step requires, so a Blueprint subclass with that "
        "one filtered out builds a complete consumer.",
        checked=(CELERY,),
        contracts=(f"{_CONSUMER}::test_the_delayed_delivery_step_can_be_left_out",),
    ),
    Override(
        name="Celery worker_init sender",
        ours=("config.workers:apply_worker_role",),
        internals=(
            "celery.worker.worker:WorkController.consumer_cls",
            "celery.worker.worker:WorkController.prefetch_multiplier",
            "celery.app.base:Celery.steps",
        ),
        relied_on="worker_init is sent with the WorkController before its blueprint builds "
        "the consumer, which then reads consumer_cls, prefetch_multiplier and "
        "app.steps['consumer'] as the handler left them.",
        checked=(CELERY,),
        contracts=(f"{_CONSUMER}::test_worker_init_sets_the_consumer_class_and_steps_used",),
    ),
    Override(
        name="Celery consumer rate-limit buckets",
        ours=(
            "stats.bulk.ratelimit:SteadyRateConsumer.bucket_for_task",
            "stats.bulk.ratelimit:SteadyRateConsumer._schedule_bucket_request",
        ),
        internals=(
            "celery.worker.consumer.consumer:Consumer.bucket_for_task",
            "celery.worker.consumer.consumer:Consumer._schedule_bucket_request",
            "celery.worker.consumer.consumer:Consumer._limit_move_to_pool",
            "kombu.utils.limits:TokenBucket.contents",
        ),
        relied_on="Each rate-limited task has the bucket bucket_for_task(task) returns, its "
        "waiting (request, tokens) pairs in bucket.contents in order, and "
        "_schedule_bucket_request(bucket) moves the head to the pool through "
        "_limit_move_to_pool while a token is granted and otherwise retries on the timer.",
        checked=(CELERY, KOMBU),
        contracts=(
            f"{_CONSUMER}::test_schedule_bucket_request_moves_granted_heads_and_waits_for_others",
        ),
    ),
    Override(
        name="kombu TokenBucket refill",
        ours=("stats.bulk.ratelimit:SteadyTokenBucket",),
        internals=(
            "kombu.utils.limits:TokenBucket._get_tokens",
            "kombu.utils.limits:TokenBucket._tokens",
            "kombu.utils.limits:TokenBucket.timestamp",
        ),
        relied_on="can_consume and expected_time read the level through _get_tokens, which "
        "moves its clock (timestamp) only while the bucket is below capacity, so a full bucket "
        "grants a second token at once after an idle spell.",
        checked=(KOMBU,),
        contracts=(
            f"{_KOMBU}::test_token_bucket_reads_its_level_through_get_tokens",
            f"{_KOMBU}::test_a_full_token_bucket_keeps_its_clock_still",
        ),
    ),
    Override(
        name="Celery consumer queues and close state",
        ours=("stats.batch.shards:BatchShardLeases",),
        internals=(
            "celery.bootsteps:CLOSE",
            "celery.app.amqp:Queues.select_add",
            "celery.worker.consumer.consumer:Consumer.add_task_queue",
            "celery.worker.consumer.consumer:Consumer.cancel_task_queue",
        ),
        relied_on="A consumer step's stop sees blueprint.state == CLOSE on shutdown only (not "
        "on a reconnect), and a queue added with Queues.select_add is in consume_from, from "
        "which Celery builds the task consumer again after a reconnect.",
        checked=(CELERY,),
        contracts=(
            f"{_CONSUMER}::test_a_selected_queue_is_consumed_again_after_a_reconnect",
            f"{_CONSUMER}::test_the_consumer_blueprint_is_closed_on_shutdown_only",
        ),
    ),
    Override(
        name="kombu virtual transport",
        ours=(
            "config.embedded_broker.transport:Channel",
            "config.embedded_broker.transport:QoS",
            "config.embedded_broker.transport:Transport",
            "config.embedded_broker:TRANSPORT_ALIASES",
        ),
        internals=(
            "kombu.transport.virtual:Channel._put",
            "kombu.transport.virtual:Channel._get",
            "kombu.transport.virtual:Channel._restore",
            "kombu.transport.virtual:Channel._tag_to_queue",
            "kombu.transport.virtual:Channel._active_queues",
            "kombu.transport.virtual:QoS._quick_ack",
            "kombu.transport:TRANSPORT_ALIASES",
        ),
        relied_on="kombu's virtual channel stores through _put/_get (and _new_queue, _size, "
        "_purge, _delete...), hands an unacked message back through _restore, tracks consumers "
        "in _tag_to_queue/_active_queues, settles through QoS._quick_ack, and resolves a URL "
        "scheme through TRANSPORT_ALIASES.",
        checked=(KOMBU,),
        contracts=(
            f"{_KOMBU}::test_the_virtual_channel_stores_through_put_and_get",
            f"{_KOMBU}::test_an_unacked_message_comes_back_through_restore",
            f"{_KOMBU}::test_a_url_scheme_resolves_through_transport_aliases",
        ),
    ),
    Override(
        name="django-simple-history record attributes",
        ours=(
            "catalog.imports.writes:write_updates",
            "catalog.admin.history:HistoryAdmin.save_model",
            "catalog.admin.history:HistoryAdmin.save_formset",
        ),
        internals=(
            "simple_history.models:HistoricalRecords.get_history_user (instance._history_user)",
            "simple_history.utils:get_change_reason_from_object (instance._change_reason)",
            "simple_history.models:HistoricalRecords.create_historical_record (_history_date)",
        ),
        relied_on="The history record written on save or delete takes its user, reason and "
        "date from the instance's _history_user, _change_reason and _history_date when set.",
        checked=(SIMPLE_HISTORY,),
        contracts=(f"{_HISTORY}::test_user_reason_and_date_set_on_the_instance_reach_its_record",),
    ),
    Override(
        name="django-simple-history record rows",
        ours=(
            "catalog.imports.writes:history_rows_insert",
            "catalog.imports.writes:history_rows_copy",
        ),
        internals=(
            "simple_history.models:HistoricalRecords.fields_included (history.tracked_fields)",
            "simple_history.models:HistoricalRecords.get_extra_fields",
        ),
        relied_on="A history row is the tracked fields (history.tracked_fields) plus "
        "history_date, history_change_reason, history_type and history_user_id, the other "
        "columns filled by the database, so an INSERT of those columns (or an INSERT ... "
        "SELECT of the tracked columns from the row just written) equals a record "
        "written on save.",
        checked=(SIMPLE_HISTORY,),
        contracts=(f"{_HISTORY}::test_a_history_row_is_the_tracked_fields_and_four_more",),
    ),
    Override(
        name="django-simple-history diff display",
        ours=(
            "catalog.admin.history:_FullValues",
            "catalog.admin.history:_ChoiceLabels",
            "catalog.admin.history:HistoryAdmin.get_historical_record_context_helper",
        ),
        internals=(
            "simple_history.template_utils:ObjDiffDisplay.common_shorten_repr",
            "simple_history.template_utils:HistoricalRecordContextHelper.prepare_delta_change_value",
            "simple_history.template_utils:HistoricalRecordContextHelper.get_obj_diff_display",
        ),
        relied_on="The history page's context helper formats each change through "
        "prepare_delta_change_value and shortens both values with the ObjDiffDisplay that "
        "get_obj_diff_display returns.",
        checked=(SIMPLE_HISTORY,),
        contracts=(f"{_HISTORY}::test_the_context_helper_uses_our_value_and_shortening_hooks",),
    ),
    Override(
        name="django-simple-history tracked objects",
        ours=("catalog.history:history_rows",),
        internals=(
            "simple_history.manager:HistoricalQuerySet._select_related_history_tracked_objs",
        ),
        relied_on="_select_related_history_tracked_objs() returns the queryset with "
        "select_related() on every tracked foreign key, so the History page reads each "
        "record's category without a query per row.",
        checked=(SIMPLE_HISTORY,),
        contracts=(f"{_HISTORY}::test_tracked_foreign_keys_are_selected_with_the_records",),
    ),
    Override(
        name="openpyxl read-only reader",
        ours=(
            "catalog.imports.xlsx_source:_Reader",
            "catalog.imports.xlsx_source:_UnsizedSheet",
        ),
        internals=(
            "openpyxl.reader.excel:ExcelReader.__init__ (archive, valid_files)",
            "openpyxl.reader.excel:ExcelReader.read_strings",
            "openpyxl.reader.excel:ExcelReader.read_worksheets",
            "openpyxl.workbook.workbook:Workbook._sheets",
            "openpyxl.worksheet._read_only:ReadOnlyWorksheet._get_size",
        ),
        relied_on="ExcelReader.__init__ opens the file as self.archive and lists "
        "valid_files, read() reads through self.archive and calls read_strings and "
        "read_worksheets as steps we replace, a sheet appended to wb._sheets is the "
        "workbook's sheet, and ReadOnlyWorksheet only sizes itself through _get_size.",
        checked=(OPENPYXL,),
        contracts=(
            f"{_OPENPYXL}::test_the_reader_reads_through_its_archive_in_steps_we_replace",
            f"{_OPENPYXL}::test_a_read_only_sheet_sizes_itself_through_get_size_only",
        ),
    ),
    Override(
        name="openpyxl write-only sheet file",
        ours=("catalog.imports.exports:_discard",),
        internals=(
            "openpyxl.worksheet._write_only:WriteOnlyWorksheet._writer",
            "openpyxl.worksheet._writer:WorksheetWriter.cleanup",
        ),
        relied_on="A write-only sheet writes its rows to a temporary file held by its "
        "_writer (None before the first row), which cleanup() removes.",
        checked=(OPENPYXL,),
        contracts=(f"{_OPENPYXL}::test_a_write_only_sheets_temporary_file_is_its_writers",),
    ),
    Override(
        name="Django QueryDict _mutable",
        ours=("catalog.admin.edit_form:post_replace",),
        internals=("django.http.request:QueryDict._mutable",),
        relied_on="A QueryDict refuses changes while _mutable is False, as request.POST "
        "does, so the rewritten POST behaves as the one Django parsed.",
        checked=(DJANGO,),
        contracts=(f"{_DJANGO}::test_a_query_dict_refuses_changes_once_not_mutable",),
    ),
    Override(
        name="Django list checkboxes",
        ours=(
            "config.admin:ListCheckboxes.action_checkbox",
            "editors.templatetags.admin_words:list_results_in_words",
        ),
        internals=(
            "django.contrib.admin.options:ModelAdmin.action_checkbox",
            "django.contrib.admin.templatetags.admin_list:result_list",
        ),
        relied_on="A list's row checkbox is ModelAdmin.action_checkbox(obj), and result_list's "
        "headers mark the select-all checkbox's column with the class action-checkbox-column "
        "and render its text as given.",
        checked=(DJANGO,),
        contracts=(f"{_DJANGO}::test_a_lists_checkboxes_come_from_action_checkbox_and_its_header",),
    ),
    Override(
        name="Django ModelForm _post_clean",
        ours=("catalog.admin.category:CategoryForm._post_clean",),
        internals=("django.forms.models:BaseModelForm._post_clean",),
        relied_on="ModelForm validation calls _post_clean after the fields' cleaning, and it "
        "runs the model's full_clean, so errors added after super() come after the model's own.",
        checked=(DJANGO,),
        contracts=(f"{_DJANGO}::test_post_clean_runs_after_the_models_own_validation",),
    ),
)


def override_named(name: str) -> Override:
    return next(entry for entry in OVERRIDES if entry.name == name)
