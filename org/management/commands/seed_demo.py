"""Load the demo company: Qingyun Instruments, two regions, five sales teams,
their supervisors, forty salespeople, the sales management department, HR and
an administrator, and the current and previous fiscal years.

Idempotent: running it again changes nothing that is already there.
"""

import datetime
import importlib
import logging

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from org import services
from org.domain import add_months
from org.models import FiscalYear, Membership, OrgUnit, Period, User

DEMO_PASSWORD = "salesperf-demo"

UNITS = [
    # code, name, Chinese name, kind, parent code
    ("qingyun", "Qingyun Instruments Co., Ltd.", "青云仪器有限公司", "company", None),
    ("east", "East China Region", "华东大区", "region", "qingyun"),
    ("south", "South China Region", "华南大区", "region", "qingyun"),
    ("sh-key", "Shanghai Key Accounts", "上海大客户组", "team", "east"),
    ("hz", "Hangzhou Team", "杭州销售组", "team", "east"),
    ("nj", "Nanjing Team", "南京销售组", "team", "east"),
    ("gz", "Guangzhou Team", "广州销售组", "team", "south"),
    ("sz", "Shenzhen Team", "深圳销售组", "team", "south"),
]

SURNAMES = [
    ("zhang", "张"), ("wang", "王"), ("li", "李"), ("zhao", "赵"), ("chen", "陈"),
    ("yang", "杨"), ("wu", "吴"), ("huang", "黄"), ("zhou", "周"), ("xu", "徐"),
    ("sun", "孙"), ("ma", "马"), ("zhu", "朱"), ("hu", "胡"), ("guo", "郭"),
    ("he", "何"), ("lin", "林"), ("luo", "罗"), ("gao", "高"), ("zheng", "郑"),
]  # fmt: skip
GIVEN = [
    ("wei", "伟"), ("fang", "芳"), ("min", "敏"), ("jing", "静"), ("lei", "磊"),
    ("yang", "洋"), ("yan", "艳"), ("jie", "杰"), ("tao", "涛"), ("ming", "明"),
    ("chao", "超"), ("xia", "霞"), ("ping", "平"), ("gang", "刚"), ("hui", "慧"),
    ("lan", "兰"), ("bo", "博"), ("ning", "宁"), ("kai", "凯"), ("yu", "宇"),
    ("qian", "倩"), ("hao", "浩"), ("xin", "欣"),
]  # fmt: skip

# username, surname, given name, roles, what they lead (unit code) or None
STAFF = [
    ("admin", "韩", "立新", ["admin"], None),
    ("dept.zhou", "周", "文华", ["department"], None),
    ("dept.shen", "沈", "佳怡", ["department"], None),
    ("hr.chen", "陈", "晓燕", ["hr"], None),
    ("east.wang", "王", "建国", ["supervisor"], "east"),
    ("south.liu", "刘", "海波", ["supervisor"], "south"),
    ("sup.sh", "孙", "丽华", ["supervisor", "salesperson"], "sh-key"),
    ("sup.hz", "冯", "志强", ["supervisor"], "hz"),
    ("sup.nj", "蒋", "雪梅", ["supervisor"], "nj"),
    ("sup.gz", "梁", "国栋", ["supervisor"], "gz"),
    ("sup.sz", "邓", "亚楠", ["supervisor"], "sz"),
]
TEAMS = ["sh-key", "hz", "nj", "gz", "sz"]
PEOPLE_PER_TEAM = 8


def salespeople() -> list[tuple[str, str, str, str]]:
    """(username, surname, given name, team code) for the forty demo salespeople."""
    people = []
    for i in range(len(TEAMS) * PEOPLE_PER_TEAM):
        s_py, s_hz = SURNAMES[i % len(SURNAMES)]
        g_py, g_hz = GIVEN[(i * 7 + i // len(SURNAMES)) % len(GIVEN)]
        people.append((f"{g_py}.{s_py}", s_hz, g_hz, TEAMS[i // PEOPLE_PER_TEAM]))
    return people


class Command(BaseCommand):
    help = "Load the demo organisation (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args, quiet=False, **options):
        # The demo's tasks run in-process when its transaction commits (no REDIS_URL);
        # their "succeeded" lines would follow the logins printed below.
        trace = logging.getLogger("celery.app.trace")
        level = trace.level
        trace.setLevel(logging.WARNING)
        try:
            self._seed(quiet=quiet)
        finally:
            trace.setLevel(level)

    @transaction.atomic
    def _seed(self, *, quiet: bool) -> None:
        today = timezone.localdate()
        self._password_hash = make_password(DEMO_PASSWORD)
        units = self._units()
        year_start = self._fiscal_years(today)
        self._staff(units, year_start)
        self._salespeople(units, year_start, today)
        # Each later app extends the demo with a `demo.seed(stdout=..., today=...)`
        # function, found through the app registry so that org depends on none of them.
        for app in apps.get_app_configs():
            if app.name == "org" or not app.name.isidentifier():
                continue
            try:
                module = importlib.import_module(f"{app.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app.name}.demo":
                    raise
                continue
            module.seed(stdout=self.stdout, today=today)
        if not quiet:
            self._print_logins()

    def _units(self) -> dict[str, OrgUnit]:
        units = {u.code: u for u in OrgUnit.objects.filter(code__in=[c for c, *_ in UNITS])}
        for code, name, name_zh, kind, parent in UNITS:
            if code not in units:
                units[code] = services.unit_create(
                    code=code, name=name, name_zh=name_zh, kind=kind,
                    parent=units[parent] if parent else None,
                )  # fmt: skip
        return units

    def _fiscal_years(self, today: datetime.date) -> datetime.date:
        start_month = settings.FISCAL_YEAR_START_MONTH
        start_year = today.year if today.month >= start_month else today.year - 1
        for year in (start_year - 1, start_year):
            first = datetime.date(year, start_month, 1)
            if not FiscalYear.objects.filter(start_date=first).exists():
                services.fiscal_year_create(start_year=year, start_month=start_month)
        # Last year is done: its periods are closed.
        previous = FiscalYear.objects.get(start_date=datetime.date(start_year - 1, start_month, 1))
        for period in previous.periods.exclude(status=Period.Status.CLOSED):
            if period.status == Period.Status.OPEN:
                services.period_transition(period=period, to_status=Period.Status.CLOSING)
            services.period_transition(period=period, to_status=Period.Status.CLOSED)
        return datetime.date(start_year, start_month, 1)

    def _user(self, username, surname, given, roles) -> tuple[User, bool]:
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user, False
        user = services.user_create(
            username=username,
            last_name=surname,
            first_name=given,
            email=f"{username}@qingyun.example",
            roles=roles,
        )
        # Hash the demo password once, not once per person: it is the slow part.
        User.objects.filter(pk=user.pk).update(password=self._password_hash)
        return user, True

    def _staff(self, units, year_start) -> None:
        joined = add_months(year_start, -12)
        for username, surname, given, roles, leads in STAFF:
            user, created = self._user(username, surname, given, roles)
            if created and leads:
                services.membership_create(
                    user=user, unit=units[leads], kind=Membership.Kind.SUPERVISOR,
                    start_date=joined,
                )  # fmt: skip
                if "salesperson" in roles:
                    services.membership_create(user=user, unit=units[leads], start_date=joined)

    def _salespeople(self, units, year_start, today) -> None:
        joined = add_months(year_start, -12)
        move_day = add_months(year_start, 6)
        for index, (username, surname, given, team) in enumerate(salespeople()):
            user, created = self._user(username, surname, given, ["salesperson"])
            if not created:
                continue
            employee_no = f"QY{1001 + index}"
            User.objects.filter(pk=user.pk).update(employee_no=employee_no)
            if index == 9 and move_day <= today:
                # Moved from Hangzhou to Shanghai Key Accounts half-way through the year:
                # their history stays with the Hangzhou team.
                services.membership_create(
                    user=user, unit=units["hz"], start_date=joined,
                    end_date=move_day - datetime.timedelta(days=1),
                )  # fmt: skip
                services.membership_create(user=user, unit=units["sh-key"], start_date=move_day)
            elif index % PEOPLE_PER_TEAM == 7:
                # The newest member of each team joined this fiscal year.
                services.membership_create(
                    user=user, unit=units[team], start_date=add_months(year_start, 2)
                )
            else:
                services.membership_create(user=user, unit=units[team], start_date=joined)

    def _print_logins(self) -> None:
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS("Demo organisation loaded: Qingyun Instruments Co., Ltd."))
        out.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        rows = [
            ("salesperson", "wei.zhang", "Shanghai Key Accounts"),
            ("salesperson (moved team mid-year)", salespeople()[9][0], "Hangzhou -> Shanghai"),
            ("supervisor", "sup.sh", "Shanghai Key Accounts (also sells)"),
            ("supervisor", "sup.gz", "Guangzhou Team"),
            ("regional supervisor", "east.wang", "East China Region"),
            ("sales management department", "dept.zhou", "whole organisation"),
            ("HR", "hr.chen", "reads results"),
            ("administrator", "admin", "Django admin at /admin/"),
        ]
        width = max(len(r[0]) for r in rows)
        for role, username, scope in rows:
            out.write(f"  {role.ljust(width)}  {username.ljust(12)}  {scope}")
        out.write("Salespeople: " + ", ".join(p[0] for p in salespeople()[:5]) + ", …")
