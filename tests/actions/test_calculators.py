"""Calculators: every worked example of shared/law/worked_examples.md, formulas, bad input."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from actions.calculators import (
    CalculatorInputError,
    KnowledgeValueError,
    OvertimeRules,
    annual_leave_days,
    countable_service_years,
    format_money,
    format_percent,
    income_tax,
    insurance_ceilings,
    insurance_deduction,
    job_loss_allowance,
    night_work_pay,
    overtime_pay,
    probation_wage,
    severance_allowance,
    unemployment_benefit,
    union_dues,
    unused_leave_pay,
)

# Mirrors the values of the knowledge facts in force on 2026-11-24 (knowledge/*.yml).
VALUES: dict[str, dict[str, Any]] = {
    "overtime_pay": {
        "rates": {"weekday": 1.5, "rest_day": 2.0, "holiday": 3.0},
        "night_premium": 0.3,
        "night_overtime_day_share": 0.2,
    },
    "severance_allowance": {
        "months_per_year": 0.5,
        "min_service_months": 12,
        "average_wage_months": 6,
        "half_year_max_leftover_months": 6,
    },
    "job_loss_allowance": {
        "months_per_year": 1,
        "min_months_paid": 2,
        "min_service_months": 12,
        "average_wage_months": 6,
        "half_year_max_leftover_months": 6,
    },
    "union_dues": {"rate": 0.005, "cap_base_salary_ratio": 0.1, "state_enterprise_take_home": True},
    "base_salary": {"amount": 2_530_000},
    "annual_leave": {
        "qualifying_months": 12,
        "base_days": {"normal": 12, "heavy_or_minor_or_disabled": 14, "very_heavy": 16},
        "extra_day_every_years": 5,
        "extra_days": 1,
    },
    "probation": {"min_wage_ratio": 0.85},
    "unemployment_benefit": {
        "rate": 0.6,
        "cap_min_wage_multiple": 5,
        "base_months": 3,
        "base_contribution_months": 36,
        "extra_month_per_contribution_months": 12,
        "max_months": 12,
        "min_contribution_months": 12,
    },
    "social_insurance_rates": {
        "employee": {"bhxh": 0.08, "bhyt": 0.015, "bhtn": 0.01},
        "employer": {"bhxh": 0.175, "bhyt": 0.03, "bhtn": 0.01},
        "ceiling_base_salary_multiple": 20,
        "bhtn_ceiling_min_wage_multiple": 20,
    },
    "min_wage_region": {"monthly": {1: 5_310_000, 2: 4_730_000, 3: 4_140_000, 4: 3_700_000}},
    "income_tax": {
        "personal_deduction": 15_500_000,
        "dependant_deduction": 6_200_000,
        "brackets": [
            {"up_to": 10_000_000, "rate": 0.05},
            {"up_to": 30_000_000, "rate": 0.1},
            {"up_to": 60_000_000, "rate": 0.2},
            {"up_to": 100_000_000, "rate": 0.3},
            {"up_to": None, "rate": 0.35},
        ],
    },
}


# --- 1. Overtime on a weekday, rest day, holiday -------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "day_type", "expected", "rate_text"),
    [
        (10, "weekday", 432_692, "150%"),
        (8, "rest_day", 461_538, "200%"),
        (8, "holiday", 692_308, "300%"),
    ],
)
def test_overtime_pay_matches_worked_example(
    hours: int, day_type: str, expected: int, rate_text: str
) -> None:
    result = overtime_pay(6_000_000, hours, VALUES["overtime_pay"], day_type=day_type)
    assert result.amount == expected
    assert result.steps[0] == "Lương giờ = 6.000.000 đ ÷ 26 ngày ÷ 8 giờ = 28.846,15 đ"
    assert result.steps[-1] == (
        f"Tiền làm thêm giờ = 28.846,15 đ × {rate_text} × {hours} giờ = {format_money(expected)}"
    )
    assert any("26 ngày công" in line for line in result.assumptions)


def test_overtime_pay_states_no_assumption_when_days_and_hours_given() -> None:
    result = overtime_pay(6_000_000, 10, VALUES["overtime_pay"], working_days=26, hours_per_day=8)
    assert result.amount == 432_692
    assert result.assumptions == []


def test_overtime_pay_uses_company_working_days() -> None:
    result = overtime_pay(6_240_000, 2, VALUES["overtime_pay"], working_days=24, hours_per_day=8)
    assert result.amount == 97_500  # 6,240,000 / 24 / 8 = 32,500 × 150% × 2
    assert result.hourly_wage == 32_500


def test_overtime_pay_holiday_mentions_holiday_pay_for_day_paid_workers() -> None:
    result = overtime_pay(6_000_000, 8, VALUES["overtime_pay"], day_type="holiday")
    assert any("lương theo ngày" in line for line in result.assumptions)


# --- 2. Night overtime and night work ------------------------------------------------------------


@pytest.mark.parametrize(
    ("after_daytime_overtime", "expected", "rate"),
    [(False, 100_000, 2.0), (True, 105_000, 2.1)],
)
def test_overtime_pay_night_matches_worked_example(
    after_daytime_overtime: bool, expected: int, rate: float
) -> None:
    result = overtime_pay(
        5_200_000,
        2,
        VALUES["overtime_pay"],
        night=True,
        after_daytime_overtime=after_daytime_overtime,
    )
    assert result.amount == expected
    assert result.rate == pytest.approx(rate)
    assert result.hourly_wage == 25_000


@pytest.mark.parametrize(
    ("day_type", "rate_text"),
    [("rest_day", "270%"), ("holiday", "390%")],
)
def test_overtime_pay_night_rate_on_rest_days_and_holidays(day_type: str, rate_text: str) -> None:
    result = overtime_pay(5_200_000, 1, VALUES["overtime_pay"], day_type=day_type, night=True)
    assert result.steps[1].endswith(f"= {rate_text}")
    assert result.amount == 25_000 * int(rate_text[:-1]) // 100


def test_night_work_pay_matches_worked_example() -> None:
    result = night_work_pay(5_200_000, 8, VALUES["overtime_pay"])
    assert result.amount == 260_000
    assert result.night_premium_amount == 60_000
    assert "= 60.000 đ" in result.steps[-1]


def test_overtime_pay_accepts_rules_object() -> None:
    rules = OvertimeRules.from_values(VALUES["overtime_pay"])
    assert overtime_pay(6_000_000, 10, rules).amount == 432_692


# --- 3. Severance ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wage", "months", "bhtn_months", "expected"),
    [
        (8_000_000, 60, 0, 20_000_000),
        (8_000_000, 60, 60, 0),
        (10_000_000, 42, 0, 17_500_000),
        (10_000_000, 43, 0, 20_000_000),  # 3 years 7 months → 4 years
        (10_000_000, 11, 0, 0),  # under 12 months of regular work
        (10_000_000, 120, 96, 10_000_000),  # 2 countable years
    ],
)
def test_severance_allowance_matches_worked_examples(
    wage: int, months: int, bhtn_months: int, expected: int
) -> None:
    result = severance_allowance(
        wage, months, VALUES["severance_allowance"], bhtn_months=bhtn_months
    )
    assert result.amount == expected


def test_severance_allowance_explains_half_year_rounding() -> None:
    result = severance_allowance(10_000_000, 42, VALUES["severance_allowance"])
    assert result.steps == [
        "Thời gian làm việc: 3 năm 6 tháng → thời gian tính trợ cấp: 3 năm 6 tháng",
        "Phần lẻ 6 tháng (không quá 6 tháng) tính là ½ năm → 3,5 năm",
        "Trợ cấp thôi việc = 3,5 năm × 0,5 tháng lương × 10.000.000 đ = 17.500.000 đ",
    ]
    assert "6 tháng liền kề" in result.assumptions[0]


def test_severance_allowance_all_bhtn_points_to_unemployment_benefit() -> None:
    result = severance_allowance(8_000_000, 60, VALUES["severance_allowance"], bhtn_months=60)
    assert result.amount == 0
    assert "trợ cấp thất nghiệp" in result.steps[-1]


@pytest.mark.parametrize(
    ("months", "expected"),
    [(0, 0), (12, 1), (13, 1.5), (18, 1.5), (19, 2), (42, 3.5), (60, 5)],
)
def test_countable_service_years_rounds_leftover_months(months: int, expected: float) -> None:
    assert countable_service_years(months, 6) == expected


# --- 4. Job loss ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wage", "months", "expected"),
    [(9_000_000, 48, 36_000_000), (7_000_000, 12, 14_000_000), (7_000_000, 30, 17_500_000)],
)
def test_job_loss_allowance_matches_worked_examples(wage: int, months: int, expected: int) -> None:
    assert job_loss_allowance(wage, months, VALUES["job_loss_allowance"]).amount == expected


def test_job_loss_allowance_explains_minimum() -> None:
    result = job_loss_allowance(7_000_000, 12, VALUES["job_loss_allowance"])
    assert "thấp hơn mức tối thiểu 2 tháng lương" in result.steps[-2]
    assert result.steps[-1] == "Trợ cấp mất việc làm = 2 × 7.000.000 đ = 14.000.000 đ"


# --- 5. Insurance ---------------------------------------------------------------------------------


def test_insurance_deduction_matches_worked_example() -> None:
    result = insurance_deduction(10_000_000, VALUES["social_insurance_rates"])
    assert result.amount == 1_050_000
    assert result.parts == {"bhxh": 800_000, "bhyt": 150_000, "bhtn": 100_000}
    assert result.steps[-1] == "Tổng cộng (10,5%): 1.050.000 đ"


def test_insurance_deduction_employer_side() -> None:
    result = insurance_deduction(10_000_000, VALUES["social_insurance_rates"], side="employer")
    assert result.amount == 2_150_000


def test_insurance_deduction_single_part() -> None:
    result = insurance_deduction(15_000_000, VALUES["social_insurance_rates"], parts=["bhxh"])
    assert result.amount == 1_200_000
    assert result.steps == ["BHXH: 8% × 15.000.000 đ = 1.200.000 đ"]


def test_insurance_deduction_applies_ceilings() -> None:
    ceilings = insurance_ceilings(
        VALUES["social_insurance_rates"],
        VALUES["base_salary"],
        VALUES["min_wage_region"],
        region=1,
    )
    assert ceilings == {"bhxh": 50_600_000, "bhyt": 50_600_000, "bhtn": 106_200_000}
    result = insurance_deduction(60_000_000, VALUES["social_insurance_rates"], ceilings=ceilings)
    assert result.parts == {"bhxh": 4_048_000, "bhyt": 759_000, "bhtn": 600_000}


def test_insurance_deduction_unknown_part_asks_again() -> None:
    with pytest.raises(CalculatorInputError) as error:
        insurance_deduction(10_000_000, VALUES["social_insurance_rates"], parts=["bhxx"])
    assert error.value.field == "insurance_part"


# --- 6. Union dues --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("salary", "expected"),
    [(8_000_000, 40_000), (50_600_000, 253_000), (60_000_000, 253_000), (4_730_000, 23_650)],
)
def test_union_dues_matches_worked_example(salary: int, expected: int) -> None:
    result = union_dues(salary, VALUES["union_dues"], VALUES["base_salary"])
    assert result.amount == expected


def test_union_dues_explains_cap() -> None:
    result = union_dues(60_000_000, VALUES["union_dues"], VALUES["base_salary"])
    assert result.steps[1] == "Mức tối đa = 10% × lương cơ sở 2.530.000 đ = 253.000 đ"
    assert "vượt mức tối đa" in result.steps[2]


def test_union_dues_old_rate_from_values() -> None:
    old = {"rate": 0.01, "cap_base_salary_ratio": 0.1}
    assert union_dues(8_000_000, old, {"amount": 2_340_000}).amount == 80_000


# --- 7. Unemployment ------------------------------------------------------------------------------


def test_unemployment_benefit_matches_worked_example() -> None:
    result = unemployment_benefit(
        9_000_000, VALUES["unemployment_benefit"], VALUES["min_wage_region"]
    )
    assert result.amount == 5_400_000
    assert result.capped is False
    assert result.months is None


def test_unemployment_benefit_cap_and_duration() -> None:
    result = unemployment_benefit(
        50_000_000,
        VALUES["unemployment_benefit"],
        VALUES["min_wage_region"],
        region=1,
        contribution_months=48,
    )
    assert result.amount == 26_550_000
    assert result.capped is True
    assert result.cap == 26_550_000
    assert result.months == 4
    assert result.total == 106_200_000


@pytest.mark.parametrize(
    ("contribution_months", "expected_months"),
    [(12, 3), (36, 3), (47, 3), (48, 4), (60, 5), (144, 12), (300, 12), (11, 0)],
)
def test_unemployment_benefit_duration(contribution_months: int, expected_months: int) -> None:
    result = unemployment_benefit(
        6_000_000,
        VALUES["unemployment_benefit"],
        VALUES["min_wage_region"],
        contribution_months=contribution_months,
    )
    assert result.months == expected_months
    if expected_months == 0:
        assert result.amount == 0


def test_unemployment_benefit_asks_region_when_cap_may_apply() -> None:
    with pytest.raises(CalculatorInputError) as error:
        unemployment_benefit(50_000_000, VALUES["unemployment_benefit"], VALUES["min_wage_region"])
    assert error.value.field == "region"
    assert "vùng" in str(error.value)


# --- 8. Personal income tax -----------------------------------------------------------------------


def test_income_tax_matches_worked_example() -> None:
    result = income_tax(20_000_000, VALUES["income_tax"], VALUES["social_insurance_rates"])
    assert result.insurance == 2_100_000
    assert result.taxable_income == 2_400_000
    assert result.amount == 120_000


@pytest.mark.parametrize(
    ("gross", "dependants", "expected"),
    [
        (17_000_000, 0, 0),  # 17,000,000 − 1,785,000 − 15,500,000 < 0
        (20_000_000, 1, 0),
        # taxable 50,000,000 − 5,250,000 − 15,500,000 = 29,250,000
        # → 10,000,000 × 5% + 19,250,000 × 10% = 2,425,000
        (50_000_000, 0, 2_425_000),
    ],
)
def test_income_tax_brackets_and_dependants(gross: int, dependants: int, expected: int) -> None:
    result = income_tax(
        gross, VALUES["income_tax"], VALUES["social_insurance_rates"], dependants=dependants
    )
    assert result.amount == expected


def test_income_tax_refuses_negative_dependants() -> None:
    with pytest.raises(CalculatorInputError) as error:
        income_tax(
            20_000_000, VALUES["income_tax"], VALUES["social_insurance_rates"], dependants=-1
        )
    assert error.value.field == "dependants"


# --- 9. Annual leave, probation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("months", "category", "expected"),
    [
        (120, "normal", 14),
        (12, "normal", 12),
        (59, "normal", 12),
        (60, "normal", 13),
        (120, "heavy_or_minor_or_disabled", 16),
        (60, "very_heavy", 17),
        (6, "normal", 6.0),
    ],
)
def test_annual_leave_days_matches_worked_example(
    months: int, category: str, expected: float
) -> None:
    result = annual_leave_days(months, VALUES["annual_leave"], job_category=category)
    assert result.amount == expected
    assert result.unit == "ngày"


def test_unused_leave_pay_matches_worked_example() -> None:
    result = unused_leave_pay(7_800_000, 4, working_days=26)
    assert result.amount == 1_200_000
    assert result.steps == ["Tiền phép chưa nghỉ = 7.800.000 đ ÷ 26 ngày × 4 ngày = 1.200.000 đ"]


def test_unused_leave_pay_refuses_zero_days() -> None:
    with pytest.raises(CalculatorInputError) as error:
        unused_leave_pay(7_800_000, 0)
    assert error.value.field == "days"


def test_probation_wage_is_85_percent() -> None:
    result = probation_wage(10_000_000, VALUES["probation"])
    assert result.amount == 8_500_000
    assert result.steps == ["Lương thử việc tối thiểu = 85% × 10.000.000 đ = 8.500.000 đ/tháng"]


# --- Formatting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "text"), [(1.5, "150%"), (0.005, "0,5%"), (0.105, "10,5%"), (2.1, "210%")]
)
def test_format_percent_vi(ratio: float, text: str) -> None:
    assert format_percent(ratio) == text


@pytest.mark.parametrize(
    ("amount", "text"), [(6_000_000, "6.000.000 đ"), (432_692.3, "432.692 đ"), (0.5, "1 đ")]
)
def test_format_money_vi(amount: float, text: str) -> None:
    assert format_money(amount) == text


# --- Out-of-range input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"monthly_wage": -1, "hours": 3}, "money"),
        ({"monthly_wage": 0, "hours": 3}, "money"),
        ({"monthly_wage": 6, "hours": 3}, "money"),
        ({"monthly_wage": 2_000_000_000, "hours": 3}, "money"),
        ({"monthly_wage": None, "hours": 3}, "money"),
        ({"monthly_wage": True, "hours": 3}, "money"),
        ({"monthly_wage": 6_000_000, "hours": 0}, "hours"),
        ({"monthly_wage": 6_000_000, "hours": -2}, "hours"),
        ({"monthly_wage": 6_000_000, "hours": 30, "overtime_days": 1}, "hours"),
        ({"monthly_wage": 6_000_000, "hours": 800}, "hours"),
        ({"monthly_wage": 6_000_000, "hours": 3, "day_type": "sunday"}, "day_type"),
        ({"monthly_wage": 6_000_000, "hours": 3, "working_days": 0}, "days"),
        ({"monthly_wage": 6_000_000, "hours": 3, "working_days": 40}, "days"),
        ({"monthly_wage": 6_000_000, "hours": 3, "hours_per_day": 25}, "hours"),
    ],
)
def test_overtime_pay_refuses_out_of_range_input(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(CalculatorInputError) as error:
        overtime_pay(values=VALUES["overtime_pay"], **kwargs)
    assert error.value.field == field
    assert str(error.value).startswith("Dạ")
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize(
    ("months", "bhtn_months", "field"),
    [
        (-1, 0, "duration_months"),
        (12 * 61, 0, "duration_months"),
        (24, 36, "bhtn_months"),
        (24.5, 0, "duration_months"),
    ],
)
def test_severance_allowance_refuses_bad_months(months: Any, bhtn_months: int, field: str) -> None:
    with pytest.raises(CalculatorInputError) as error:
        severance_allowance(
            8_000_000, months, VALUES["severance_allowance"], bhtn_months=bhtn_months
        )
    assert error.value.field == field


def test_unemployment_benefit_refuses_unknown_region() -> None:
    with pytest.raises(CalculatorInputError) as error:
        unemployment_benefit(
            6_000_000, VALUES["unemployment_benefit"], VALUES["min_wage_region"], region=5
        )
    assert error.value.field == "region"


def test_annual_leave_days_refuses_unknown_category() -> None:
    with pytest.raises(CalculatorInputError) as error:
        annual_leave_days(24, VALUES["annual_leave"], job_category="office")
    assert error.value.field == "job_category"


def test_calculators_refuse_incomplete_knowledge_values() -> None:
    with pytest.raises(KnowledgeValueError, match="rates.holiday"):
        overtime_pay(6_000_000, 3, {"rates": {"weekday": 1.5, "rest_day": 2}})
    with pytest.raises(KnowledgeValueError, match="base_salary"):
        union_dues(8_000_000, VALUES["union_dues"])


# --- The real knowledge base ----------------------------------------------------------------------


def test_calculators_with_real_knowledge_values() -> None:
    knowledge_module = pytest.importorskip("actions.knowledge")
    knowledge = knowledge_module.load_knowledge()
    on = date(2026, 11, 24)

    def values(fact_id: str) -> dict[str, Any]:
        return knowledge.values_at(fact_id, on)

    assert overtime_pay(6_000_000, 10, values("overtime_pay")).amount == 432_692
    assert overtime_pay(5_200_000, 2, values("overtime_pay"), night=True).amount == 100_000
    assert night_work_pay(5_200_000, 8, values("overtime_pay")).amount == 260_000
    assert severance_allowance(10_000_000, 42, values("severance_allowance")).amount == 17_500_000
    assert job_loss_allowance(7_000_000, 12, values("job_loss_allowance")).amount == 14_000_000
    assert insurance_deduction(10_000_000, values("social_insurance_rates")).amount == 1_050_000
    dues = union_dues(60_000_000, values("union_dues"), values("base_salary"))
    assert dues.amount == 253_000
    benefit = unemployment_benefit(
        50_000_000,
        values("unemployment_benefit"),
        values("min_wage_region"),
        region=1,
        contribution_months=48,
    )
    assert (benefit.amount, benefit.months) == (26_550_000, 4)
    assert annual_leave_days(120, values("annual_leave")).amount == 14
    assert probation_wage(10_000_000, values("probation")).amount == 8_500_000
    tax = income_tax(20_000_000, values("income_tax"), values("social_insurance_rates"))
    assert tax.amount == 120_000
