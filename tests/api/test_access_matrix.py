"""Who gets what: every API operation (from the schema) and every page (from the URLconf),
for every persona, against one declared table of expected statuses.

A route that the table does not name fails the test (`test_every_route_has_an_entry`),
so a new endpoint or page comes with its row. Pages are requested with GET; API
operations with their method: safe ones as they are, unsafe ones as a harmless probe (an
empty JSON body, in a savepoint rolled back after each request). Ids in a route name
the world's objects (tests/api/conftest.py: sam's team, sam, sam's customer and sale…)
or, where the world has none of that kind, an id that names nothing (999999).

Each row lists the status for the personas in PERSONAS order. To write the rows of new
routes, run with ACCESS_MATRIX_PRINT=1 and -s: the test prints what every route answers
now, as rows to check by hand before adding them.
"""

from __future__ import annotations

import json
import os

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.generators import SchemaGenerator

from org.models import Membership, Period
from tests.api.conftest import PERSONAS

NOTHING = 999999  # an id that names nothing

# --- the table --------------------------------------------------------------------------------
#
# Persona order: salesperson (sam), teammate (tina), other_salesperson (oscar, another
# team), supervisor (sue, sam's), other_supervisor (otto, another team's), ended (ed, whose
# membership in sam's team ended), department (dora), hr (harry), admin (ada), anonymous.
#
# API: "METHOD /api/v1/path/" -> statuses. Pages: URL name -> statuses.

ORDER = list(PERSONAS)

# route                                            | sam tina oscar sue otto ed dora harry ada anon
ROWS = """
GET /api/v1/adjustments/                           | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/adjustments/                          | 400 400 400 400 400 400 400 400 400 401
GET /api/v1/adjustments/{id}/                      | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/adjustments/{id}/decide/              | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/appraisal-cycles/                      | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/appraisal-cycles/                     | 403 403 403 403 403 403 400 403 403 401
GET /api/v1/appraisal-cycles/{id}/                 | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/appraisal-cycles/{id}/calibration/     | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/appraisal-cycles/{id}/compute/        | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/appraisal-cycles/{id}/finalise/       | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/appraisal-cycles/{id}/release/        | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/appraisal-dimensions/                  | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/appraisal-dimensions/                 | 400 400 400 400 400 400 400 400 400 401
GET /api/v1/appraisal-dimensions/{id}/             | 404 404 404 404 404 404 404 404 404 401
PATCH /api/v1/appraisal-dimensions/{id}/           | 404 404 404 404 404 404 404 404 404 401
DELETE /api/v1/appraisal-dimensions/{id}/          | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/appraisal-results/                     | 403 403 403 403 403 403 200 200 403 401
GET /api/v1/appraisal-results/export/              | 403 403 403 403 403 403 200 200 403 401
GET /api/v1/appraisal-templates/                   | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/appraisal-templates/                  | 403 403 403 403 403 403 400 403 403 401
GET /api/v1/appraisal-templates/{id}/              | 404 404 404 404 404 404 404 404 404 401
PATCH /api/v1/appraisal-templates/{id}/            | 404 404 404 404 404 404 404 404 404 401
PUT /api/v1/appraisal-templates/{id}/grades/       | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/appraisal-templates/{id}/new-version/ | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/appraisal-templates/{id}/publish/     | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/appraisals/                            | 200 200 200 200 200 200 200 200 200 401
GET /api/v1/appraisals/{id}/                       | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/appraisals/{id}/acknowledge/          | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/appraisals/{id}/adjust/               | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/appraisals/{id}/appeal/               | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/appraisals/{id}/peer-rating/           | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/appraisals/{id}/peer-rating/          | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/appraisals/{id}/rating/               | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/appraisals/{id}/resolve/              | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/appraisals/{id}/self-assessment/      | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/appraisals/to-rate/                    | 200 200 200 200 200 200 200 200 200 401
GET /api/v1/bonus-estimate/                        | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/bonus-estimate/                       | 200 200 200 200 200 200 200 200 200 401
GET /api/v1/bonus-decisions/                       | 200 200 200 200 200 200 200 200 200 401
GET /api/v1/bonus-decisions/{id}/                  | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/bonus-decisions/{id}/adjust/          | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/bonus-decisions/approve/              | 403 403 403 403 403 403 400 403 403 401
POST /api/v1/bonus-decisions/compute/              | 403 403 403 403 403 403 400 403 403 401
GET /api/v1/bonus-decisions/export/                | 403 403 403 403 403 403 200 200 403 401
POST /api/v1/bonus-decisions/{id}/acknowledge/     | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/bonus-decisions/{id}/appeal/          | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/bonus-decisions/{id}/resolve/         | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/bonus-decisions/release/              | 403 403 403 403 403 403 400 403 403 401
GET /api/v1/promotion-holds/                       | 200 200 200 200 200 200 200 200 200 401
GET /api/v1/promotion-holds/{id}/                  | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/promotion-holds/{id}/lift/            | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/incentive-plans/                       | 200 200 200 200 200 200 200 200 200 401
GET /api/v1/incentive-plans/{id}/                  | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/attainment/                            | 200 200 200 200 200 200 200 403 403 401
POST /api/v1/auth/token/                           | 400 400 400 400 400 400 400 400 400 400
GET /api/v1/contacts/                              | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/contacts/                             | 400 400 400 400 400 400 400 403 403 401
GET /api/v1/contacts/{id}/                         | 404 404 404 404 404 404 404 404 404 401
PATCH /api/v1/contacts/{id}/                       | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/customers/                             | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/customers/                            | 400 400 400 400 400 400 400 403 403 401
GET /api/v1/customers/{id}/                        | 200 404 404 200 404 404 200 404 404 401
PATCH /api/v1/customers/{id}/                      | 200 404 404 200 404 404 200 404 404 401
GET /api/v1/dashboards/mine/                       | 200 200 200 200 200 200 200 403 403 401
GET /api/v1/dashboards/org/                        | 403 403 403 400 400 403 400 403 403 401
GET /api/v1/dashboards/person/{person_id}/         | 200 404 404 200 404 404 200 403 403 401
GET /api/v1/dashboards/team/                       | 403 403 403 200 200 403 200 403 403 401
GET /api/v1/fiscal-years/                          | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/fiscal-years/                         | 403 403 403 403 403 403 400 403 403 401
GET /api/v1/fiscal-years/{id}/                     | 200 200 200 200 200 200 200 200 200 401
GET /api/v1/follow-ups/                            | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/follow-ups/                           | 400 400 400 400 400 400 400 403 403 401
GET /api/v1/follow-ups/{id}/                       | 404 404 404 404 404 404 404 404 404 401
PATCH /api/v1/follow-ups/{id}/                     | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/follow-ups/{id}/done/                 | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/me/                                    | 200 200 200 200 200 200 200 200 200 401
GET /api/v1/memberships/                           | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/memberships/                          | 403 403 403 403 403 403 400 403 400 401
GET /api/v1/memberships/{id}/                      | 200 404 404 200 404 404 200 200 200 401
POST /api/v1/memberships/{id}/end/                 | 403 404 404 403 404 404 400 403 400 401
GET /api/v1/metrics/                               | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/metrics/                              | 403 403 403 403 403 403 400 403 403 401
GET /api/v1/metrics/{id}/                          | 404 404 404 404 404 404 404 404 404 401
PATCH /api/v1/metrics/{id}/                        | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/notifications/                         | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/notifications/mark-read/              | 200 200 200 200 200 200 200 200 200 401
GET /api/v1/people/                                | 200 200 200 200 200 200 200 200 200 401
GET /api/v1/people/{id}/                           | 200 404 404 200 404 404 200 200 200 401
GET /api/v1/period-closes/                         | 403 403 403 403 403 403 200 403 200 401
POST /api/v1/period-closes/                        | 403 403 403 403 403 403 400 403 403 401
GET /api/v1/period-closes/{id}/                    | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/tolerance/                             | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/tolerance/                            | 403 403 403 403 403 403 400 403 403 401
GET /api/v1/schedule/                              | 403 403 403 403 403 403 200 403 200 401
PATCH /api/v1/schedule/{id}/                       | 403 403 403 403 403 403 404 403 404 401
POST /api/v1/period-closes/reopen/                 | 403 403 403 403 403 403 400 403 403 401
GET /api/v1/periods/                               | 200 200 200 200 200 200 200 200 200 401
GET /api/v1/periods/{id}/                          | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/periods/{id}/transition/              | 403 403 403 403 403 403 409 403 403 401
GET /api/v1/plans/                                 | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/plans/                                | 400 400 400 400 400 400 400 400 400 401
GET /api/v1/plans/{id}/                            | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/plans/{id}/review/                    | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/plans/{id}/submit/                    | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/progress-reports/                      | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/progress-reports/                     | 400 400 400 400 403 400 403 403 403 401
GET /api/v1/progress-reports/{id}/                 | 404 404 404 404 404 404 404 404 404 401
PATCH /api/v1/progress-reports/{id}/               | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/progress-reports/{id}/comment/        | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/progress-reports/{id}/submit/         | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/reports/sales/                         | 200 200 200 200 200 200 200 403 403 401
GET /api/v1/reports/sales/export/                  | 200 200 200 200 200 200 200 403 403 401
GET /api/v1/reports/variance/                      | 400 400 400 400 400 400 400 403 403 401
GET /api/v1/reports/variance/export/               | 400 400 400 400 400 400 400 403 403 401
GET /api/v1/sales-records/                         | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/sales-records/                        | 400 400 400 400 400 400 400 403 403 401
GET /api/v1/sales-records/{id}/                    | 200 404 404 200 404 404 200 404 404 401
PATCH /api/v1/sales-records/{id}/                  | 200 404 404 200 404 404 200 404 404 401
POST /api/v1/sales-records/{id}/cancel/            | 200 404 404 200 404 404 200 404 404 401
POST /api/v1/sales-records/bulk/                   | 403 403 403 403 403 403 400 403 403 401
GET /api/v1/satisfaction-responses/                | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/satisfaction-responses/               | 403 403 403 400 400 403 400 403 403 401
GET /api/v1/satisfaction-responses/{id}/           | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/satisfaction-responses/averages/       | 400 400 400 400 400 400 400 403 403 401
POST /api/v1/satisfaction-responses/bulk/          | 403 403 403 403 403 403 400 403 403 401
GET /api/v1/seasonality-profiles/                  | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/seasonality-profiles/                 | 403 403 403 403 403 403 400 403 403 401
GET /api/v1/seasonality-profiles/{id}/             | 404 404 404 404 404 404 404 404 404 401
PATCH /api/v1/seasonality-profiles/{id}/           | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/targets/                               | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/targets/                              | 400 400 400 400 400 400 400 400 400 401
GET /api/v1/targets/{id}/                          | 404 404 404 404 404 404 404 404 404 401
PATCH /api/v1/targets/{id}/                        | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/targets/{id}/acknowledge/             | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/targets/{id}/cascade/                 | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/targets/{id}/decide-allocation/       | 404 404 404 404 404 404 404 404 404 401
POST /api/v1/targets/{id}/submit-allocation/       | 404 404 404 404 404 404 404 404 404 401
GET /api/v1/targets/publication-problems/          | 403 403 403 403 403 403 400 403 403 401
POST /api/v1/targets/publish/                      | 403 403 403 403 403 403 400 403 403 401
GET /api/v1/units/                                 | 200 200 200 200 200 200 200 200 200 401
POST /api/v1/units/                                | 403 403 403 403 403 403 400 403 400 401
GET /api/v1/units/{id}/                            | 200 200 404 200 404 404 200 200 200 401
PATCH /api/v1/units/{id}/                          | 403 403 404 403 404 404 200 403 200 401
home                                               | 200 200 200 200 200 200 200 200 200 302
org-tree                                           | 200 200 200 200 200 200 200 200 200 302
unit-detail                                        | 200 200 404 200 404 404 200 200 200 302
people-list                                        | 200 200 200 200 200 200 200 200 200 302
person-detail                                      | 200 404 404 200 404 404 200 200 200 302
person-add-membership                              | 405 405 405 405 405 405 405 405 405 302
membership-end                                     | 405 405 405 405 405 405 405 405 405 302
org-import                                         | 403 403 403 403 403 403 200 403 200 302
org-import-template                                | 403 403 403 403 403 403 200 403 200 302
org-import-template-xlsx                           | 403 403 403 403 403 403 200 403 200 302
periods                                            | 200 200 200 200 200 200 200 200 200 302
audit-log                                          | 403 403 403 403 403 403 200 403 200 302
targets:mine                                       | 200 200 200 200 200 200 200 200 200 302
targets:detail                                     | 404 404 404 404 404 404 404 404 404 302
targets:acknowledge                                | 405 405 405 405 405 405 405 405 405 302
targets:adjustment-new                             | 404 404 404 404 404 404 404 404 404 302
targets:adjustments                                | 200 200 200 200 200 200 200 200 200 302
targets:adjustment-decide                          | 405 405 405 405 405 405 405 405 405 302
targets:metrics                                    | 200 200 200 200 200 200 200 200 200 302
targets:metric-new                                 | 403 403 403 403 403 403 200 403 403 302
targets:metric-edit                                | 404 404 404 404 404 404 404 404 404 302
targets:seasonality                                | 200 200 200 200 200 200 200 200 200 302
targets:seasonality-new                            | 403 403 403 403 403 403 200 403 403 302
targets:seasonality-edit                           | 404 404 404 404 404 404 404 404 404 302
targets:rules                                      | 200 200 200 200 200 200 200 200 200 302
targets:tolerance-set                              | 405 405 405 405 405 405 405 405 405 302
targets:workspace                                  | 403 403 403 403 403 403 200 403 403 302
targets:cell-edit                                  | 405 405 405 405 405 405 405 405 405 302
targets:cascade                                    | 404 404 404 404 404 404 404 404 404 302
targets:publish                                    | 403 403 403 403 403 403 200 403 403 302
targets:import                                     | 403 403 403 403 403 403 200 403 403 302
targets:export                                     | 403 403 403 200 200 403 200 403 403 302
targets:allocations                                | 403 403 403 200 200 403 200 403 403 302
targets:allocation                                 | 404 404 404 404 404 404 404 404 404 302
targets:allocation-submit                          | 405 405 405 405 405 405 405 405 405 302
targets:allocation-decide                          | 405 405 405 405 405 405 405 405 405 302
targets:plans                                      | 200 200 200 200 200 200 200 200 200 302
targets:plan-write                                 | 404 404 404 404 404 404 404 404 404 302
targets:plan                                       | 404 404 404 404 404 404 404 404 404 302
targets:plan-submit                                | 405 405 405 405 405 405 405 405 405 302
targets:plan-review                                | 405 405 405 405 405 405 405 405 405 302
sales:records                                      | 200 200 200 200 200 200 200 403 403 302
sales:record-new                                   | 200 200 200 200 200 200 200 403 403 302
sales:records-import                               | 403 403 403 403 403 403 200 403 403 302
sales:record-detail                                | 200 404 404 200 404 404 200 404 404 302
sales:record-edit                                  | 200 404 404 200 404 404 200 404 404 302
sales:record-cancel                                | 200 404 404 200 404 404 200 404 404 302
sales:customers                                    | 200 200 200 200 200 200 200 403 403 302
sales:customer-new                                 | 200 200 200 200 200 200 200 403 403 302
sales:customer-detail                              | 200 404 404 200 404 404 200 404 404 302
sales:customer-edit                                | 200 404 404 200 404 404 200 404 404 302
sales:contact-new                                  | 200 404 404 200 404 404 200 404 404 302
sales:contact-edit                                 | 404 404 404 404 404 404 404 404 404 302
sales:contact-row                                  | 404 404 404 404 404 404 404 404 404 302
sales:followups                                    | 200 200 200 200 200 200 200 403 403 302
sales:followup-new                                 | 200 200 200 200 200 200 200 403 403 302
sales:followup-edit                                | 404 404 404 404 404 404 404 404 404 302
sales:followup-done                                | 405 405 405 405 405 405 405 405 405 302
sales:progress-mine                                | 200 200 200 200 302 200 302 403 403 302
sales:progress-write                               | 200 200 200 200 403 200 403 403 403 302
sales:progress-team                                | 403 403 403 200 200 403 200 403 403 302
sales:progress-detail                              | 404 404 404 404 404 404 404 404 404 302
sales:progress-comment                             | 405 405 405 405 405 405 405 405 405 302
sales:satisfaction                                 | 200 200 200 200 200 200 200 403 403 302
sales:satisfaction-new                             | 403 403 403 200 200 403 200 403 403 302
sales:satisfaction-import                          | 403 403 403 403 403 403 200 403 403 302
sales:dashboard-mine                               | 200 200 200 200 200 200 200 403 403 302
sales:dashboard-person                             | 200 404 404 200 404 404 200 403 403 302
sales:dashboard-team                               | 403 403 403 200 200 403 200 403 403 302
sales:dashboard-org                                | 403 403 403 200 200 403 200 403 403 302
sales:reports                                      | 200 200 200 200 200 200 200 403 403 302
sales:report-sales                                 | 200 200 200 200 200 200 200 403 403 302
sales:report-sales-export                          | 200 200 200 200 200 200 200 403 403 302
sales:report-variance                              | 400 400 400 400 400 400 400 403 403 302
sales:report-variance-export                       | 400 400 400 400 400 400 400 403 403 302
appraisal-results:list                             | 403 403 403 403 403 403 200 200 403 302
appraisal-results:export                           | 403 403 403 403 403 403 200 200 403 302
appraisal:mine                                     | 200 200 200 200 200 200 200 200 200 302
appraisal:templates                                | 200 200 200 200 200 200 200 200 200 302
appraisal:template-new                             | 403 403 403 403 403 403 200 403 403 302
appraisal:template-detail                          | 404 404 404 404 404 404 404 404 404 302
appraisal:template-edit                            | 404 404 404 404 404 404 404 404 404 302
appraisal:dimension-new                            | 404 404 404 404 404 404 404 404 404 302
appraisal:dimension-edit                           | 404 404 404 404 404 404 404 404 404 302
appraisal:dimension-delete                         | 404 404 404 404 404 404 404 404 404 302
appraisal:bands                                    | 404 404 404 404 404 404 404 404 404 302
appraisal:template-publish                         | 404 404 404 404 404 404 404 404 404 302
appraisal:template-new-version                     | 405 405 405 405 405 405 405 405 405 302
appraisal:cycles                                   | 403 403 403 200 200 403 200 200 403 302
appraisal:cycle-new                                | 403 403 403 403 403 403 200 403 403 302
appraisal:cycle-detail                             | 404 404 404 404 404 404 404 404 404 302
appraisal:cycle-compute                            | 404 404 404 404 404 404 404 404 404 302
appraisal:cycle-finalise                           | 404 404 404 404 404 404 404 404 404 302
appraisal:cycle-release                            | 404 404 404 404 404 404 404 404 404 302
appraisal:cycle-calibration                        | 404 404 404 404 404 404 404 404 404 302
appraisal:to-rate                                  | 200 200 200 200 200 200 200 200 200 302
appraisal:appraisal-detail                         | 404 404 404 404 404 404 404 404 404 302
appraisal:self-assessment                          | 404 404 404 404 404 404 404 404 404 302
appraisal:rating                                   | 404 404 404 404 404 404 404 404 404 302
appraisal:peer-rating                              | 404 404 404 404 404 404 404 404 404 302
appraisal:adjust                                   | 404 404 404 404 404 404 404 404 404 302
appraisal:finalise                                 | 405 405 405 405 405 405 405 405 405 302
appraisal:acknowledge                              | 405 405 405 405 405 405 405 405 405 302
appraisal:appeal                                   | 404 404 404 404 404 404 404 404 404 302
appraisal:resolve                                  | 404 404 404 404 404 404 404 404 404 302
notifications:list                                 | 200 200 200 200 200 200 200 200 200 302
notifications:mark-read                            | 405 405 405 405 405 405 405 405 405 302
rewards:mine                                       | 200 200 200 200 200 200 200 200 200 302
rewards:plans                                      | 200 200 200 200 200 200 200 200 200 302
rewards:plan-create                                | 403 403 403 403 403 403 200 403 403 302
rewards:plan                                       | 404 404 404 404 404 404 404 404 404 302
rewards:plan-edit                                  | 404 404 404 404 404 404 404 404 404 302
rewards:plan-publish                               | 405 405 405 405 405 405 405 405 405 302
rewards:plan-new-version                           | 405 405 405 405 405 405 405 405 405 302
rewards:decisions                                  | 403 403 403 200 200 403 200 200 403 302
rewards:decision                                   | 404 404 404 404 404 404 404 404 404 302
rewards:acknowledge                                | 405 405 405 405 405 405 405 405 405 302
rewards:appeal                                     | 405 405 405 405 405 405 405 405 405 302
rewards:resolve                                    | 405 405 405 405 405 405 405 405 405 302
rewards:payroll                                    | 403 403 403 403 403 403 200 200 403 302
rewards:holds                                      | 200 200 200 200 200 200 200 200 200 302
rewards:hold-lift                                  | 405 405 405 405 405 405 405 405 405 302
rewards:what-if                                    | 200 200 200 200 200 200 200 200 200 302
rewards:what-if-panel                              | 200 200 200 200 200 200 200 200 200 302
closing:periods                                    | 403 403 403 403 403 403 200 403 200 302
closing:close                                      | 403 403 403 403 403 403 200 403 403 302
closing:reopen                                     | 403 403 403 403 403 403 200 403 403 302
closing:runs                                       | 403 403 403 403 403 403 200 403 200 302
closing:schedule                                   | 403 403 403 403 403 403 200 403 200 302
closing:schedule-change                            | 405 405 405 405 405 405 405 405 405 302
closing:run                                        | 404 404 404 404 404 404 404 404 404 302
closing:run-progress                               | 404 404 404 404 404 404 404 404 404 302
login                                              | 200 200 200 200 200 200 200 200 200 200
logout                                             | 405 405 405 405 405 405 405 405 405 405
password_change                                    | 200 200 200 200 200 200 200 200 200 302
password_change_done                               | 200 200 200 200 200 200 200 200 200 302
password_reset                                     | 200 200 200 200 200 200 200 200 200 200
password_reset_done                                | 200 200 200 200 200 200 200 200 200 200
password_reset_confirm                             | 200 200 200 200 200 200 200 200 200 200
password_reset_complete                            | 200 200 200 200 200 200 200 200 200 200
set_language                                       | 302 302 302 302 302 302 302 302 302 302
admin:index                                        | 302 302 302 302 302 302 302 302 200 302
admin:login                                        | 200 200 200 200 200 200 200 200 302 200
api-schema                                         | 200 200 200 200 200 200 200 200 200 401
api-docs                                           | 200 200 200 200 200 200 200 200 200 401
health                                             | 200 200 200 200 200 200 200 200 200 200
"""


def _rows() -> dict[str, list[int]]:
    table = {}
    for line in ROWS.strip().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _sep, statuses = line.rpartition("|")
        table[key.strip()] = [int(s) for s in statuses.split()]
    return table


# --- the routes -------------------------------------------------------------------------------


def api_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield prefix + str(pattern.pattern), name, pattern


def pages() -> list[str]:
    """Every named page of the URLconf but the API's (covered through the schema) and the
    admin's model pages (Django's admin guards them all as it guards its index, which is
    in the table)."""
    names = []
    for route, name, _pattern in _walk(get_resolver().url_patterns):
        if route.startswith("api/v1/") or (name.startswith("api-") and route.startswith("api/v1")):
            continue
        if route.startswith("admin/") and name not in {"admin:index", "admin:login"}:
            continue
        if name not in names:
            names.append(name)
    return names


def page_kwargs(name: str, world) -> dict:
    org = world.org
    month = Period.objects.filter(fiscal_year=world.year, kind=Period.Kind.MONTH).first()
    membership = Membership.objects.filter(user=org.salesperson, unit=org.team).first()
    objects = {
        "unit-detail": org.team.pk,
        "person-detail": org.salesperson.pk,
        "person-add-membership": org.salesperson.pk,
        "membership-end": membership.pk,
        "sales:record-detail": world.record.pk,
        "sales:record-edit": world.record.pk,
        "sales:record-cancel": world.record.pk,
        "sales:customer-detail": world.customer.pk,
        "sales:customer-edit": world.customer.pk,
        "sales:contact-new": world.customer.pk,
        "sales:contact-edit": world.customer.pk,
        "sales:contact-row": world.customer.pk,
        "sales:dashboard-person": org.salesperson.pk,
        "closing:close": month.pk,
        "closing:reopen": month.pk,
    }
    pattern = next(p for _r, n, p in _walk(get_resolver().url_patterns) if n == name)
    kwargs = {}
    for key in pattern.pattern.converters:
        if key == "pk":
            kwargs[key] = objects.get(name, NOTHING)
        elif key == "period_pk":
            kwargs[key] = month.pk
        elif key == "kind":
            kwargs[key] = "users"
        elif key in {"uidb64", "token"}:
            kwargs[key] = "x"
        else:
            kwargs[key] = NOTHING
    return kwargs


def api_path(path: str, world) -> str:
    org = world.org
    month = Period.objects.filter(fiscal_year=world.year, kind=Period.Kind.MONTH).first()
    membership = Membership.objects.filter(user=org.salesperson, unit=org.team).first()
    ids = {
        "units": org.team.pk,
        "people": org.salesperson.pk,
        "memberships": membership.pk,
        "fiscal-years": world.year.pk,
        "periods": month.pk,
        "customers": world.customer.pk,
        "sales-records": world.record.pk,
        "dashboards": org.salesperson.pk,
    }
    collection = path.removeprefix("/api/v1/").split("/")[0]
    the_id = str(ids.get(collection, NOTHING))
    return path.replace("{id}", the_id).replace("{person_id}", the_id)


def client_for(persona: str, world) -> Client:
    if PERSONAS[persona] is None:
        return Client()
    return Client(HTTP_AUTHORIZATION=f"Token {world.tokens[persona]}")


def page_client_for(persona: str, world) -> Client:
    client = Client()
    if PERSONAS[persona] is not None:
        client.force_login(getattr(world.org, PERSONAS[persona]))
    return client


def answer(client: Client, method: str, url: str) -> int:
    with transaction.atomic():
        if method == "GET":
            response = client.get(url)
        else:
            response = client.generic(method, url, json.dumps({}), "application/json")
        transaction.set_rollback(True)
    return response.status_code


ROUTES = [f"{method} {path}" for method, path in api_operations()] + pages()


def test_every_route_has_an_entry():
    table = _rows()
    missing = [route for route in ROUTES if route not in table]
    stale = [route for route in table if route not in ROUTES]
    assert not missing, "Routes without a row in the access matrix:\n" + "\n".join(missing)
    assert not stale, "Rows for routes that no longer exist:\n" + "\n".join(stale)
    assert all(len(statuses) == len(ORDER) for statuses in table.values())


@pytest.mark.parametrize("route", ROUTES)
def test_access_matrix(route, in_world):
    table = _rows()
    if " /api/" in route:
        method, path = route.split(" ", 1)
        url = api_path(path, in_world)
        make_client = client_for
    else:
        method, url = "GET", reverse(route, kwargs=page_kwargs(route, in_world))
        make_client = page_client_for
    found = [answer(make_client(persona, in_world), method, url) for persona in ORDER]
    if os.environ.get("ACCESS_MATRIX_PRINT"):
        print(f"\n{route:<60} | " + " ".join(str(s) for s in found))
        return
    expected = table.get(route)
    assert expected is not None, f"{route} has no row in the access matrix"
    assert dict(zip(ORDER, found, strict=True)) == dict(zip(ORDER, expected, strict=True)), url
