"""Cron schedules owned by a product object (saved query, segment, campaign) as beat tasks.

django-celery-beat's DatabaseScheduler reads PeriodicTask rows; each owner keeps a OneToOne
(on_delete=SET_NULL) to its task. The crontab runs in the client's timezone.
"""
from __future__ import annotations

import json

from django.utils.translation import gettext as _
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from .errors import AppError


class ScheduleError(AppError):
    default_code = "schedule"


def validate_schedule(schedule: str | None) -> str:
    """Five-field cron, checked by Celery's own parser so beat will accept it ("" = no schedule)."""
    from celery.schedules import crontab

    if schedule is not None and not isinstance(schedule, str):
        # A JSON body can carry a list or an object here (fuzzing found the 500 it caused).
        message = _("일정은 cron 형식의 문자열(분 시 일 월 요일, 예: '0 9 * * 1')이어야 합니다.")
        raise ScheduleError(message, fields={"schedule": message})
    schedule = " ".join((schedule or "").split())
    if not schedule:
        return ""
    fields = schedule.split(" ")
    if len(fields) != 5:
        message = _("일정은 cron 형식(분 시 일 월 요일, 예: '0 9 * * 1')으로 입력해 주세요.")
        raise ScheduleError(message, fields={"schedule": message})
    try:
        crontab(minute=fields[0], hour=fields[1], day_of_month=fields[2], month_of_year=fields[3],
                day_of_week=fields[4])
    except ValueError:
        message = _("일정(cron)이 올바르지 않습니다: %(s)s") % {"s": schedule}
        raise ScheduleError(message, fields={"schedule": message})
    return schedule


def cron_task_sync(*, current: PeriodicTask | None, name: str, task: str, cron: str | None, timezone: str,
                   args: list, kwargs: dict | None = None, description: str = "") -> PeriodicTask | None:
    """Create, update or (for an empty cron) delete the owner's beat task; returns what remains.

    The caller stores the returned task on its owner in the same transaction.
    """
    if not cron:
        if current is not None:
            current.delete()
        return None
    minute, hour, dom, month, dow = cron.split()
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute=minute, hour=hour, day_of_month=dom, month_of_year=month, day_of_week=dow, timezone=timezone)
    periodic = current or PeriodicTask.objects.filter(name=name).first() or PeriodicTask(name=name)
    periodic.task = task
    periodic.crontab = crontab
    periodic.interval = None
    periodic.args = json.dumps(args)
    periodic.kwargs = json.dumps(kwargs or {})
    periodic.enabled = True
    periodic.description = description[:200]
    periodic.save()
    return periodic
