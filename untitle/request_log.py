"""django.request without tracebacks for the requester's mistakes.

Django logs a PermissionDenied raised in a view (and a SuspiciousOperation) with its traceback,
though the 403/400 it answers is the request's fault, not ours: a viewer opening an owner's page
filled the log with stacks that hid the real errors. The LOGGING filter below keeps such a record
on one line, the exception's message appended; a 5xx keeps its traceback. It sits on the console
handler, not on a logger, so django.security.* (a disallowed host, a bad session) is covered too.
"""
import logging


class ClientErrorOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.exc_info and status is not None and status < 500:
            exc = record.exc_info[1]
            if exc is not None and str(exc) and isinstance(record.args, tuple):
                # An argument, not text in the message: a % in the reason cannot break formatting.
                record.msg = f"{record.msg} (%s)"
                record.args = (*record.args, str(exc))
            record.exc_info = None
            record.exc_text = None
        return True
