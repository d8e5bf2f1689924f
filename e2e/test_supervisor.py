"""The supervisor's journey (sup.sh, Shanghai Key Accounts): the team dashboard,
a comment on a member's progress report, a rating (refused at the top level without
a comment, then accepted with one), a personal sales plan approved, and the team's
allocation submitted to the department."""

import pytest

TEXTS = {
    "en": {
        "comment": "Good week. Book the application engineer for the demonstration early.",
        "rating": "Led the joint bid for the provincial hospital and coached the newest colleague.",
        "plan": "Clear plan; keep the key accounts' visits on the dates you wrote.",
        "allocation": "Split equally; the newcomer's share is prorated for the days in the team.",
    },
    "zh": {
        "comment": "本周不错。请尽早预约演示所需的应用工程师。",
        "rating": "牵头完成省医院的联合投标，并辅导了最新的同事。",
        "plan": "计划清楚，请按所写日期拜访重点客户。",
        "allocation": "平均分配；新同事按在组天数折算。",
    },
}


@pytest.mark.journey("supervisor")
def test_supervisor(journey, lang):
    j, page, texts = journey, journey.page, TEXTS[lang]
    j.vocabulary.add(*texts.values())
    j.log_in("sup.sh")
    j.check("home")
    j.go("/org/", shot="organisation")

    # The team dashboard: the team against its target, every member, the chart.
    j.go("/sales/dashboard/team/", shot="team-dashboard")
    members = page.locator("main table tbody tr")
    assert members.count() >= 2, "the team dashboard lists no members"

    # Comment on the latest submitted report that has no comment yet.
    j.go("/sales/progress/team/", shot="team-reports")
    reports = page.locator("main table a[href^='/sales/progress/']:not(:has(.bi-chat-left-text))")
    assert reports.count(), "no report to comment on"
    j.click(reports.last)
    form = page.locator("main form[action$='/comment/']")
    form.locator("textarea[name=comment]").fill(texts["comment"])
    j.click(form.locator("button[type=submit]"), shot="report-commented")
    assert j.shows(texts["comment"]), "the comment is not shown"
    assert page.locator("main #h-comment").count(), "the report shows no supervisor's comment"

    # Rate a member: the top level needs a comment.
    j.go("/appraisal/to-rate/", shot="to-rate")
    j.click(page.locator("main a[href$='/rating/']").first)
    form = page.locator("main form[method=post]")
    first, second = form.locator("fieldset").nth(0), form.locator("fieldset").nth(1)
    first.locator("input[type=radio]").last.check()  # the top level
    second.locator("input[type=radio]").nth(2).check()  # the middle one
    j.screenshot("rating")
    with j.expect_status(400):
        j.click(form.locator("button[name=action][value=submit]"))
    refused = form.locator(".alert-danger")
    assert refused.count() and refused.first.inner_text().strip(), "the refusal says nothing"
    j.screenshot("rating-refused")
    assert first.locator("input[type=radio]").last.is_checked(), "the form lost the level"
    first.locator("textarea").fill(texts["rating"])
    j.click(form.locator("button[name=action][value=submit]"), shot="rated")
    assert "/rating/" not in page.url, page.url
    assert page.locator("main .alert-success").count(), "no confirmation"

    # Approve the personal sales plan waiting for review.
    j.go("/targets/plans/", shot="plans")
    j.click(page.locator("main tr.table-info a[href^='/targets/plans/']").first)
    form = page.locator("main form[action$='/review/']")
    form.locator("textarea[name=note]").fill(texts["plan"])
    j.click(form.locator("button[name=decision][value=approve]"), shot="plan-approved")
    assert not page.locator("main form[action$='/review/']").count(), "still waiting for review"
    assert page.locator("main .badge.text-bg-success").count(), "the plan is not shown approved"

    # Submit the team's allocation of a target to the department.
    j.go("/targets/allocations/")
    filters = page.locator("main form[method=get]")
    filters.locator("select[name=status]").select_option("open")
    j.click(filters.locator("[type=submit]"), shot="allocations")
    j.click(page.locator("main table tbody a[href^='/targets/allocations/']").first)
    j.screenshot("allocation")
    form = page.locator("main form[action$='/submit/']")
    form.locator("textarea[name=comment]").fill(texts["allocation"])
    j.click(form.locator("button[type=submit]"), shot="allocation-submitted")
    assert not page.locator("main form[action$='/submit/']").count(), "can still be submitted"
    assert j.shows(texts["allocation"]), "the comment for the department is not shown"
