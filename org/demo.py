"""Demo organisation for Qingyun Instruments, the first part of `manage.py seed_demo`:
two regions, five sales teams, their supervisors, forty salespeople, the sales
management department, HR and an administrator, and the fiscal years of the demo's
history (see org.demo_calendar).

Idempotent: running it again changes nothing that is already there.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.hashers import make_password

from org import services
from org.demo_calendar import DemoCalendar
from org.models import FiscalYear, Membership, OrgUnit, User

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


# The salesperson (by position in salespeople()) who moved from Hangzhou to Shanghai Key
# Accounts half-way through the history; their history stays with the Hangzhou team.
MOVER = 9


def salespeople() -> list[tuple[str, str, str, str]]:
    """(username, surname, given name, team code) for the forty demo salespeople."""
    people = []
    for i in range(len(TEAMS) * PEOPLE_PER_TEAM):
        s_py, s_hz = SURNAMES[i % len(SURNAMES)]
        g_py, g_hz = GIVEN[(i * 7 + i // len(SURNAMES)) % len(GIVEN)]
        people.append((f"{g_py}.{s_py}", s_hz, g_hz, TEAMS[i // PEOPLE_PER_TEAM]))
    return people


def calendar(today: datetime.date) -> DemoCalendar:
    return DemoCalendar(today=today, start_month=settings.FISCAL_YEAR_START_MONTH)


def history_years(today: datetime.date) -> list[FiscalYear]:
    """The fiscal years from the start of the demo's history to `today`, oldest first."""
    return list(
        FiscalYear.objects.filter(
            start_date__gte=calendar(today).history_start, start_date__lte=today
        ).order_by("start_date")
    )


class _Seeder:
    def __init__(self, today: datetime.date):
        self.calendar = calendar(today)
        self._password_hash = None

    def password_hash(self) -> str:
        # Hash the demo password once, not once per person: it is the slow part.
        if self._password_hash is None:
            self._password_hash = make_password(DEMO_PASSWORD)
        return self._password_hash

    def units(self) -> dict[str, OrgUnit]:
        units = {u.code: u for u in OrgUnit.objects.filter(code__in=[c for c, *_ in UNITS])}
        for code, name, name_zh, kind, parent in UNITS:
            if code not in units:
                units[code] = services.unit_create(
                    code=code, name=name, name_zh=name_zh, kind=kind,
                    parent=units[parent] if parent else None,
                )  # fmt: skip
        return units

    def fiscal_years(self) -> None:
        """The fiscal years of the history; they are closed (or not) by the period close
        (closing/demo.py), never here."""
        start_month = self.calendar.start_month
        for first in self.calendar.fiscal_year_starts:
            if not FiscalYear.objects.filter(start_date=first).exists():
                services.fiscal_year_create(start_year=first.year, start_month=start_month)

    def user(self, username, surname, given, roles) -> tuple[User, bool]:
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
        User.objects.filter(pk=user.pk).update(password=self.password_hash())
        return user, True

    def staff(self, units) -> None:
        joined = self.calendar.long_ago
        for username, surname, given, roles, leads in STAFF:
            user, created = self.user(username, surname, given, roles)
            if created and leads:
                services.membership_create(
                    user=user, unit=units[leads], kind=Membership.Kind.SUPERVISOR,
                    start_date=joined,
                )  # fmt: skip
                if "salesperson" in roles:
                    services.membership_create(user=user, unit=units[leads], start_date=joined)

    def salespeople(self, units) -> None:
        joined = self.calendar.long_ago
        move_day = self.calendar.move_day
        for index, (username, surname, given, team) in enumerate(salespeople()):
            user, created = self.user(username, surname, given, ["salesperson"])
            if not created:
                continue
            employee_no = f"QY{1001 + index}"
            User.objects.filter(pk=user.pk).update(employee_no=employee_no)
            if index == MOVER:
                services.membership_create(
                    user=user, unit=units["hz"], start_date=joined,
                    end_date=move_day - datetime.timedelta(days=1),
                )  # fmt: skip
                services.membership_create(user=user, unit=units["sh-key"], start_date=move_day)
            elif index % PEOPLE_PER_TEAM == PEOPLE_PER_TEAM - 1:
                services.membership_create(
                    user=user, unit=units[team], start_date=self.calendar.newcomer_joined
                )
            else:
                services.membership_create(user=user, unit=units[team], start_date=joined)


def seed(*, stdout, today: datetime.date) -> None:
    seeder = _Seeder(today)
    units = seeder.units()
    seeder.fiscal_years()
    seeder.staff(units)
    seeder.salespeople(units)
    names = ", ".join(
        FiscalYear.objects.filter(start_date__gte=seeder.calendar.history_start)
        .order_by("start_date")
        .values_list("name", flat=True)
    )
    stdout.write(
        f"Organisation: {OrgUnit.objects.count()} units, {User.objects.count()} people; "
        f"fiscal years {names} (the demo's history starts on "
        f"{seeder.calendar.history_start.isoformat()})."
    )


def logins() -> list[tuple[str, str, str]]:
    """(role, username, scope) of the demo logins the command prints."""
    return [
        ("salesperson", "wei.zhang", "Shanghai Key Accounts"),
        ("salesperson (moved team)", salespeople()[MOVER][0], "Hangzhou -> Shanghai"),
        ("supervisor", "sup.sh", "Shanghai Key Accounts (also sells)"),
        ("supervisor", "sup.gz", "Guangzhou Team"),
        ("regional supervisor", "east.wang", "East China Region"),
        ("sales management department", "dept.zhou", "whole organisation"),
        ("HR", "hr.chen", "reads results"),
        ("administrator", "admin", "Django admin at /admin/"),
    ]
