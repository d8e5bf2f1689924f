"""The sales management department's journey (dept.zhou): the organisation dashboard;
a draft target cascaded one level down and published; the last ended quarter closed,
its progress followed to the end; the quarter's appraisal cycle calibrated (a score
adjusted with a reason, a missing one when there is one) and its ready appraisals
finalised; an appeal resolved with a change, which records the result's next version."""

import re

import pytest

TEXTS = {
    "en": {
        "adjust": "Calibration: brought in line with the other teams, as meeting expectations "
        "(the supervisor's account of the quarter).",
        "resolve": "The two orders booked after the quarter's end were approved in it: "
        "revenue attainment recomputed with them.",
    },
    "zh": {
        "adjust": "校准：根据主管对本季度的说明，与其他团队保持一致，按符合预期计分。",
        "resolve": "季度结束后录入的两个订单在季度内已获批准，营业收入达成率已计入重新计算。",
    },
}
CLOSE_SECONDS = 120


@pytest.mark.journey("department")
def test_department(journey, lang):
    j, page, texts = journey, journey.page, TEXTS[lang]
    j.vocabulary.add(*texts.values())
    j.log_in("dept.zhou")
    j.check("home")
    j.go("/sales/dashboard/organisation/", shot="organisation-dashboard")

    # Cascade a draft target one level down the organisation, then publish the metric.
    j.go("/targets/workspace/", shot="workspace")
    choose = page.locator("main form[method=get]")
    metrics = choose.locator("select[name=metric] option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    cascade = page.locator("main tr.ws-unit a[href$='/cascade/']")
    for metric in metrics:  # the first metric with draft targets
        choose.locator("select[name=metric]").select_option(metric)
        j.click(choose.locator("[type=submit]"))
        if cascade.count():
            break
    assert cascade.count(), "no metric has a draft target to cascade"
    j.screenshot("workspace-drafts")
    j.click(cascade.last, shot="cascade")
    write = page.locator("main form[method=post] button[type=submit]")
    assert write.count(), "the cascade shows nothing to write"
    j.click(write, shot="cascaded")
    j.click(page.locator("main a[href^='/targets/publish/']").first, shot="publish")
    publish = page.locator("main form[method=post][action$='/publish/']")
    j.click(publish.locator("button[type=submit]"), shot="published")
    assert not page.locator("main tr.ws-unit a[href$='/cascade/']").count(), "drafts are left"

    # Close the last ended quarter and follow its progress to the end.
    j.go("/closing/", shot="periods")
    j.click(page.locator("main tr.table-light a.btn-primary[href$='/close/']").first)
    j.click(page.locator("main form[method=post] button[type=submit]"))
    assert "/closing/runs/" in page.url, page.url
    page.wait_for_selector(
        "#run-body[data-status=succeeded]", timeout=CLOSE_SECONDS * 1000
    )  # the page follows the run every second (htmx) until it finishes
    page.wait_for_load_state("networkidle")
    j.check("close-run")

    # Calibrate: adjust a score of a rated appraisal, with a reason (a missing score
    # when one is missing: the appraisal can then be finalised).
    j.go("/appraisal/cycles/", shot="cycles")
    cycles = page.locator("main table a[href^='/appraisal/cycles/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    rated = page.locator("main tr:has(a[href*='/adjust/'])")
    for cycle in cycles:  # the first cycle with rated appraisals in calibration
        j.go(f"{cycle}calibration/")
        if rated.count():
            break
    assert rated.count(), "no rated appraisal to calibrate"
    j.screenshot("calibration")
    missing = rated.filter(has=page.locator("small.text-warning-emphasis"))
    row = missing.first if missing.count() else rated.first
    dimension = None
    if missing.count():  # "no score yet: Customer satisfaction, …" names the dimensions
        names = re.split(r"[:：]", row.locator("small.text-warning-emphasis").inner_text())[-1]
        dimension = names.split(",")[0].strip()
    j.click(row.locator("a[href*='/adjust/']"), shot="adjust")
    appraisal = re.sub(r"adjust/.*$", "", page.url.removeprefix(j.base_url))
    form = page.locator("main form[method=post]")
    if dimension:
        form.locator("select[name=dimension]").select_option(label=dimension)
    else:
        form.locator("select[name=dimension]").select_option(index=1)
    form.locator("input[name=new_score]").fill("60")
    form.locator("textarea[name=reason]").fill(texts["adjust"])
    j.click(form.locator("button[type=submit]"), shot="adjusted")
    assert "/calibration/" in page.url, page.url
    assert j.shows(texts["adjust"]), "the adjustment's reason is not shown"

    # Finalise the cycle's ready appraisals: the adjusted one is among them.
    j.go(cycle, shot="cycle")
    j.click(page.locator("main a[href$='/finalise/']"))
    j.click(page.locator("main form[method=post] button[type=submit]"), shot="finalised")
    j.go(appraisal, shot="appraisal-finalised")
    assert page.locator("main .badge.text-bg-secondary .bi-lock").count(), "not finalised"

    # Resolve an appeal with a change: the result's version 2.
    j.go(cycle)
    j.click(page.locator("main tr:has(.badge.text-bg-warning) a[href^='/appraisal/']").first)
    j.click(page.locator("main a[href$='/resolve/']"), shot="resolve")
    form = page.locator("main form[method=post]")
    form.locator("input[name=outcome][value=changed]").check()
    form.locator("input[name^=score_]").first.fill("100")
    form.locator("textarea[name=reason]").fill(texts["resolve"])
    j.click(form.locator("button[type=submit]"), shot="result-explained")
    versions = page.locator("main section[aria-labelledby=h-versions] tbody tr")
    assert versions.count() == 2, f"{versions.count()} recorded versions, not 2"
    assert j.shows(texts["resolve"]), "the resolution's reason is not shown"
