"""The salesperson's journey (wei.zhang, behind on target): log a sale shared with a
colleague and see the dashboard change, write this period's progress report, read
how they will be appraised, acknowledge a target, appeal last quarter's result."""

from decimal import Decimal

import pytest

# What the salesperson types, in the journey's language.
TEXTS = {
    "en": {
        "product": "Haematology analyser HX-5, demonstration unit",
        "category": "Analysers",
        "progress": "Visited three hospitals; the demonstration at the maternity hospital "
        "went well and a quotation is due next week.",
        "feedback": "The laboratory asks for a shorter delivery time on reagents.",
        "problems": "Two orders wait for the customer's budget approval.",
        "help": "An application engineer for the demonstration on Thursday.",
        "appeal": "The order of the maternity hospital was booked a week after the quarter "
        "ended because of the customer's approval; please count it in my attainment.",
    },
    "zh": {
        "product": "血液分析仪 HX-5 演示机",
        "category": "分析仪",
        "progress": "本周拜访了三家医院，妇幼医院的演示效果很好，下周提交报价。",
        "feedback": "实验室希望缩短试剂的交货时间。",
        "problems": "两个订单在等客户的预算审批。",
        "help": "周四的演示需要一位应用工程师。",
        "appeal": "妇幼医院的订单因客户审批在季度结束一周后才录入，请计入我的完成率。",
    },
}
AMOUNT = Decimal("10000.00")
MY_SHARE = Decimal("60")

# The first card of the dashboard is the first metric (revenue, by its position).
REVENUE_ACTUAL = "main section.card[aria-labelledby^=h-card-] .fs-3"


@pytest.mark.journey("salesperson")
def test_salesperson(journey, lang):
    j, page, texts = journey, journey.page, TEXTS[lang]
    j.vocabulary.add(*texts.values())
    j.log_in("wei.zhang")
    j.check("home")

    # The dashboard before the sale: this month's revenue.
    j.go("/sales/dashboard/", shot="dashboard")
    before = j.number(REVENUE_ACTUAL)

    # Log a sale, 60 % mine and 40 % a colleague's.
    j.go("/sales/records/new/")
    form = page.locator("form#record-form")
    customer = form.locator("select[name=customer] option:not([value=''])").first
    form.locator("select[name=customer]").select_option(customer.get_attribute("value"))
    form.locator("input[name=product]").fill(texts["product"])
    form.locator("input[name=category]").fill(texts["category"])
    form.locator("input[name=amount]").fill(str(AMOUNT))
    form.locator("input[name=gross_margin]").fill("3500.00")
    me = form.locator("select[name=credits-0-person]").input_value()
    assert me, "the form does not credit the salesperson by default"
    colleague = form.locator(
        f"select[name=credits-1-person] option:not([value='']):not([value='{me}'])"
    ).first.get_attribute("value")
    form.locator("input[name=credits-0-share_pct]").fill(str(MY_SHARE))
    form.locator("select[name=credits-1-person]").select_option(colleague)
    form.locator("input[name=credits-1-share_pct]").fill(str(100 - MY_SHARE))
    total = form.locator(".js-credit-total")
    assert total.inner_text() == "100", f"the split's total shows {total.inner_text()!r}"
    j.screenshot("log-a-sale")
    j.click(form.locator("button[type=submit]"), shot="sale")
    assert "/sales/records/" in page.url and "/new/" not in page.url, page.url
    assert j.shows(texts["product"]), "the sale is not shown"

    # The dashboard counts my share of it.
    j.go("/sales/dashboard/")
    after = j.number(REVENUE_ACTUAL)
    assert after - before == AMOUNT * MY_SHARE / 100, (before, after)

    # This period's progress report, submitted to the supervisor.
    j.go("/sales/progress/", shot="progress-reports")
    write = page.locator("main a[href='/sales/progress/write/']").first
    j.click(write)
    form = page.locator("main form[method=post]")
    form.locator("textarea[name=progress]").fill(texts["progress"])
    form.locator("textarea[name=customer_feedback]").fill(texts["feedback"])
    form.locator("textarea[name=problems]").fill(texts["problems"])
    form.locator("textarea[name=help_needed]").fill(texts["help"])
    j.screenshot("progress-report-form")
    j.click(form.locator("button[name=submit]"), shot="progress-report")
    assert j.shows(texts["help"]), "the report is not shown"
    assert not page.locator("main form textarea[name=progress]").count(), "still a form"

    # How I will be appraised, and last quarter's result waiting for an answer.
    j.go("/appraisal/", shot="how-i-am-appraised")
    assert page.locator("main article table").count(), "no template is explained"
    result = page.locator("main a.btn-primary[href^='/appraisal/appraisals/']").first
    result_url = result.get_attribute("href")

    # Acknowledge the year's target of the first metric.
    j.go("/targets/", shot="my-targets")
    buttons = page.locator("main form[action$='/acknowledge/']:not(:has(input[name=parts])) button")
    waiting = buttons.count()
    assert waiting, "no target waits for an acknowledgement"
    j.click(buttons.first)
    assert buttons.count() == waiting - 1, "the target is still waiting for an acknowledgement"

    # Appeal the released result.
    j.go(result_url, shot="result")
    j.click(page.locator(f"main a[href='{result_url}appeal/']"))
    form = page.locator("main form[method=post]")
    form.locator("textarea[name=reason]").fill(texts["appeal"])
    j.click(form.locator("button[type=submit]"), shot="appealed")
    assert page.url.endswith(result_url), page.url
    assert j.shows(texts["appeal"]), "the appeal is not shown"
    assert not page.locator(f"main a[href='{result_url}appeal/']").count(), "can appeal again"
