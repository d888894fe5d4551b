"""Labour-law calculators: overtime, night work, severance, job loss, dues, leave, insurance.

Lives here: pure functions that turn a worker's numbers and the legal figures of the
knowledge base into an amount, the formula written out with the worker's numbers (vi_VN) and
the assumptions made. Must not hold legal figures: every rate, cap and threshold arrives as an
argument (the ``values`` of a fact in knowledge/, or a rules object built from it). The only
constants here are sanity bounds on input (a day has 24 hours), never law. Must not import
Rasa or talk to the network.

Rounding: exact arithmetic (fractions) throughout, money rounded half-up to the whole đồng
once, at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Any, TypeVar

from babel.numbers import format_decimal

__all__ = [
    "DAY_TYPES",
    "AnnualLeaveRules",
    "CalculationResult",
    "CalculatorInputError",
    "IncomeTaxResult",
    "IncomeTaxRules",
    "InsuranceDeductionResult",
    "InsuranceRates",
    "JobLossRules",
    "KnowledgeValueError",
    "OvertimePayResult",
    "OvertimeRules",
    "ProbationRules",
    "SeveranceRules",
    "UnemploymentBenefitResult",
    "UnemploymentRules",
    "UnionDuesRules",
    "annual_leave_days",
    "countable_service_years",
    "format_money",
    "format_number",
    "format_percent",
    "income_tax",
    "insurance_ceilings",
    "insurance_deduction",
    "job_loss_allowance",
    "night_work_pay",
    "overtime_pay",
    "probation_wage",
    "severance_allowance",
    "unemployment_benefit",
    "union_dues",
    "unused_leave_pay",
    "validate_day_type",
    "validate_hours",
    "validate_months",
    "validate_region",
    "validate_wage",
    "validate_working_time",
]

LOCALE = "vi_VN"
DAY_TYPES = ("weekday", "rest_day", "holiday")
"""Day kinds the overtime rates are keyed by (same names as the day_type entity)."""

DAY_TYPE_LABELS = {
    "weekday": "ngày thường",
    "rest_day": "ngày nghỉ hằng tuần",
    "holiday": "ngày lễ, tết",
}
JOB_CATEGORY_LABELS = {
    "normal": "công việc trong điều kiện bình thường",
    "heavy_or_minor_or_disabled": (
        "người chưa thành niên, người khuyết tật, công việc nặng nhọc, độc hại, nguy hiểm"
    ),
    "very_heavy": "công việc đặc biệt nặng nhọc, độc hại, nguy hiểm",
}
INSURANCE_LABELS = {"bhxh": "BHXH", "bhyt": "BHYT", "bhtn": "BHTN"}

# Sanity bounds on what a worker types (not legal figures): they catch typos and missing
# units so the dialogue can ask again.
MIN_MONTHLY_WAGE = 100_000
MAX_MONTHLY_WAGE = 1_000_000_000
HOURS_PER_DAY = 24
MAX_DAYS_PER_MONTH = 31
MAX_DAYS_PER_YEAR = 366
MAX_SERVICE_MONTHS = 12 * 60
DEFAULT_WORKING_DAYS = 26
DEFAULT_HOURS_PER_DAY = 8
"""Defaults the worked examples use when the worker does not say; always stated as assumptions."""

Number = int | float | Decimal | Fraction


class CalculatorInputError(ValueError):
    """A worker's number is missing, out of range or implausible.

    ``field`` names the input to ask for again; ``str(error)`` is a polite Vietnamese
    sentence the dialogue can send as is.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class KnowledgeValueError(ValueError):
    """The knowledge values given to a calculator lack a key or hold a wrong type."""


# ---------------------------------------------------------------------------------------------
# Formatting (Babel, vi_VN)


def _to_decimal(value: Number) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _round_half_up(value: Number) -> int:
    """Rounds a non-negative amount to the nearest integer, halves up."""
    return floor(Fraction(value) + Fraction(1, 2))


def format_money(amount: Number) -> str:
    """Formats an amount of đồng rounded to the whole đồng.

    Args:
        amount: The amount.

    Returns:
        For example ``"6.000.000 đ"``.
    """
    return format_decimal(_round_half_up(amount), format="#,##0", locale=LOCALE) + " đ"


def format_number(value: Number, decimals: int = 2) -> str:
    """Formats a number with vi_VN separators and at most ``decimals`` decimals.

    Args:
        value: The number.
        decimals: Maximum number of decimals shown.

    Returns:
        For example ``"28.846,15"`` or ``"3,5"``.
    """
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(_to_decimal(value), format=pattern, locale=LOCALE)


def format_percent(ratio: Number) -> str:
    """Formats a ratio as a percentage.

    Args:
        ratio: The ratio, 1.5 for 150%.

    Returns:
        For example ``"150%"`` or ``"0,5%"``.
    """
    return format_number(Fraction(ratio) * 100) + "%"


def _service_words(months: int) -> str:
    years, rest = divmod(months, 12)
    parts = [f"{years} năm"] if years else []
    if rest or not parts:
        parts.append(f"{rest} tháng")
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------
# Reading knowledge values


def _get(values: Mapping[str, Any], *path: str) -> Any:
    current: Any = values
    for key in path:
        if not isinstance(current, Mapping) or key not in current:
            raise KnowledgeValueError(f"knowledge values lack {'.'.join(path)!r}")
        current = current[key]
    return current


def _ratio(values: Mapping[str, Any], *path: str) -> Fraction:
    raw = _get(values, *path)
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal)):
        raise KnowledgeValueError(f"knowledge value {'.'.join(path)!r} must be a number")
    return Fraction(_to_decimal(raw))


def _whole(values: Mapping[str, Any], *path: str) -> int:
    number = _ratio(values, *path)
    if number.denominator != 1:
        raise KnowledgeValueError(f"knowledge value {'.'.join(path)!r} must be a whole number")
    return int(number)


@dataclass(frozen=True)
class OvertimeRules:
    """Overtime and night-work rates as ratios of the normal hourly wage (1.5 = 150%)."""

    rates: Mapping[str, Fraction]
    night_premium: Fraction
    night_overtime_day_share: Fraction

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> OvertimeRules:
        """Builds the rules from the ``overtime_pay`` fact values.

        Args:
            values: ``{rates: {weekday, rest_day, holiday}, night_premium,
                night_overtime_day_share}``.

        Returns:
            The rules.
        """
        return cls(
            rates={day: _ratio(values, "rates", day) for day in DAY_TYPES},
            night_premium=_ratio(values, "night_premium"),
            night_overtime_day_share=_ratio(values, "night_overtime_day_share"),
        )


def _optional_whole(values: Mapping[str, Any], key: str) -> int | None:
    return _whole(values, key) if key in values else None


@dataclass(frozen=True)
class SeveranceRules:
    """Trợ cấp thôi việc (and the shared counting rules of trợ cấp mất việc làm).

    ``half_year_max_leftover_months``: leftover months up to this count as ½ year, more as a
    whole year (Điều 8 khoản 3 NĐ 145/2020). ``min_months_paid`` is 0 for severance.
    """

    months_per_year: Fraction
    min_service_months: int
    half_year_max_leftover_months: int
    min_months_paid: Fraction = Fraction(0)
    average_wage_months: int | None = None

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> SeveranceRules:
        """Builds the rules from the ``severance_allowance`` fact values.

        Args:
            values: ``{months_per_year, min_service_months, half_year_max_leftover_months,
                average_wage_months (optional)}``.

        Returns:
            The rules.
        """
        return cls(
            months_per_year=_ratio(values, "months_per_year"),
            min_service_months=_whole(values, "min_service_months"),
            half_year_max_leftover_months=_whole(values, "half_year_max_leftover_months"),
            average_wage_months=_optional_whole(values, "average_wage_months"),
        )


@dataclass(frozen=True)
class JobLossRules(SeveranceRules):
    """Trợ cấp mất việc làm: severance counting plus a minimum number of months' wages."""

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> JobLossRules:
        """Builds the rules from the ``job_loss_allowance`` fact values.

        Args:
            values: The severance keys plus ``min_months_paid``.

        Returns:
            The rules.
        """
        return cls(
            months_per_year=_ratio(values, "months_per_year"),
            min_service_months=_whole(values, "min_service_months"),
            half_year_max_leftover_months=_whole(values, "half_year_max_leftover_months"),
            min_months_paid=_ratio(values, "min_months_paid"),
            average_wage_months=_optional_whole(values, "average_wage_months"),
        )


@dataclass(frozen=True)
class UnionDuesRules:
    """Đoàn phí: rate of the BHXH salary, capped at a ratio of the base salary (lương cơ sở)."""

    rate: Fraction
    cap_base_salary_ratio: Fraction
    base_salary: int
    state_enterprise_take_home: bool = False

    @classmethod
    def from_values(
        cls, values: Mapping[str, Any], base_salary_values: Mapping[str, Any]
    ) -> UnionDuesRules:
        """Builds the rules from the ``union_dues`` and ``base_salary`` fact values.

        Args:
            values: ``{rate, cap_base_salary_ratio, state_enterprise_take_home (optional)}``.
            base_salary_values: ``{amount}``.

        Returns:
            The rules.
        """
        return cls(
            _ratio(values, "rate"),
            _ratio(values, "cap_base_salary_ratio"),
            _whole(base_salary_values, "amount"),
            bool(values.get("state_enterprise_take_home", False)),
        )


@dataclass(frozen=True)
class AnnualLeaveRules:
    """Phép năm: base days per job category, ``extra_days`` more every N full years.

    ``qualifying_months``: below this, leave is the base days in proportion to the months
    worked (Điều 113 khoản 2); None means a full year.
    """

    base_days: Mapping[str, int]
    extra_day_every_years: int
    extra_days: int = 1
    qualifying_months: int | None = None

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> AnnualLeaveRules:
        """Builds the rules from the ``annual_leave`` fact values.

        Args:
            values: ``{base_days: {normal, heavy_or_minor_or_disabled, very_heavy},
                extra_day_every_years, extra_days (optional, 1), qualifying_months
                (optional)}``.

        Returns:
            The rules.
        """
        base = _get(values, "base_days")
        if not isinstance(base, Mapping) or not base:
            raise KnowledgeValueError("knowledge value 'base_days' must map categories to days")
        return cls(
            base_days={str(category): _whole(values, "base_days", category) for category in base},
            extra_day_every_years=_whole(values, "extra_day_every_years"),
            extra_days=_optional_whole(values, "extra_days") or 1,
            qualifying_months=_optional_whole(values, "qualifying_months"),
        )


@dataclass(frozen=True)
class ProbationRules:
    """Lương thử việc: minimum ratio of the job's wage."""

    min_wage_ratio: Fraction

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> ProbationRules:
        """Builds the rules from the ``probation`` fact values.

        Args:
            values: ``{min_wage_ratio}``.

        Returns:
            The rules.
        """
        return cls(_ratio(values, "min_wage_ratio"))


@dataclass(frozen=True)
class UnemploymentRules:
    """Trợ cấp thất nghiệp: rate, cap and duration rules, plus the regional minimum wages."""

    rate: Fraction
    cap_min_wage_multiple: Fraction
    base_months: int
    base_contribution_months: int
    extra_month_per_contribution_months: int
    max_months: int
    min_contribution_months: int
    min_wage_by_region: Mapping[int, int]

    @classmethod
    def from_values(
        cls, values: Mapping[str, Any], min_wage_values: Mapping[str, Any]
    ) -> UnemploymentRules:
        """Builds the rules from the ``unemployment_benefit`` and ``min_wage_region`` values.

        Args:
            values: ``{rate, cap_min_wage_multiple, base_months, base_contribution_months,
                extra_month_per_contribution_months, max_months, min_contribution_months}``.
            min_wage_values: ``{monthly: {1: ..., 2: ..., 3: ..., 4: ...}}``.

        Returns:
            The rules.
        """
        monthly = _get(min_wage_values, "monthly")
        if not isinstance(monthly, Mapping) or not monthly:
            raise KnowledgeValueError("knowledge value 'monthly' must map regions to wages")
        by_region = {int(region): _whole(monthly, region) for region in monthly}
        return cls(
            rate=_ratio(values, "rate"),
            cap_min_wage_multiple=_ratio(values, "cap_min_wage_multiple"),
            base_months=_whole(values, "base_months"),
            base_contribution_months=_whole(values, "base_contribution_months"),
            extra_month_per_contribution_months=_whole(
                values, "extra_month_per_contribution_months"
            ),
            max_months=_whole(values, "max_months"),
            min_contribution_months=_whole(values, "min_contribution_months"),
            min_wage_by_region=by_region,
        )


@dataclass(frozen=True)
class InsuranceRates:
    """Compulsory insurance rates per side ("employee", "employer") and part (bhxh, ...)."""

    sides: Mapping[str, Mapping[str, Fraction]]

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> InsuranceRates:
        """Builds the rates from the ``social_insurance_rates`` fact values.

        Args:
            values: ``{employee: {bhxh, bhyt, bhtn}, employer: {...}}`` (employer optional).

        Returns:
            The rates.
        """
        sides: dict[str, dict[str, Fraction]] = {}
        for side, parts in values.items():
            if isinstance(parts, Mapping) and parts:
                sides[str(side)] = {str(part): _ratio(parts, part) for part in parts}
        if "employee" not in sides:
            raise KnowledgeValueError("knowledge values lack 'employee' insurance rates")
        return cls(sides)


@dataclass(frozen=True)
class IncomeTaxRules:
    """Thuế TNCN on wages: family deductions and progressive monthly brackets.

    ``brackets`` are (upper bound of taxable income or None for the last, rate), ascending.
    """

    personal_deduction: int
    dependant_deduction: int
    brackets: tuple[tuple[int | None, Fraction], ...]

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> IncomeTaxRules:
        """Builds the rules from the ``income_tax`` fact values.

        Args:
            values: ``{personal_deduction, dependant_deduction, brackets: [{up_to, rate}]}``.

        Returns:
            The rules.
        """
        raw_brackets = _get(values, "brackets")
        if not isinstance(raw_brackets, list) or not raw_brackets:
            raise KnowledgeValueError("knowledge value 'brackets' must be a non-empty list")
        brackets: list[tuple[int | None, Fraction]] = []
        for index, bracket in enumerate(raw_brackets):
            if not isinstance(bracket, Mapping) or "up_to" not in bracket:
                raise KnowledgeValueError(f"knowledge value 'brackets[{index}]' needs up_to, rate")
            upper = None if bracket["up_to"] is None else _whole(bracket, "up_to")
            brackets.append((upper, _ratio(bracket, "rate")))
        if brackets[-1][0] is not None:
            raise KnowledgeValueError("the last tax bracket must be open-ended (up_to: null)")
        return cls(
            _whole(values, "personal_deduction"),
            _whole(values, "dependant_deduction"),
            tuple(brackets),
        )


_Rules = TypeVar("_Rules")


def _rules(values: Any, kind: type[_Rules], *extra: Any) -> _Rules:
    if isinstance(values, kind):
        return values
    if not isinstance(values, Mapping):
        raise KnowledgeValueError(f"expected {kind.__name__} or its knowledge values mapping")
    built: _Rules = kind.from_values(values, *extra)  # type: ignore[attr-defined]
    return built


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(kw_only=True)
class CalculationResult:
    """An amount with the formula that produced it and the assumptions behind it.

    ``steps`` read top to bottom as the worker would check them with a calculator; every
    figure in them is formatted for vi_VN.
    """

    amount: int | float
    unit: str = "đồng"
    steps: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class OvertimePayResult(CalculationResult):
    """Overtime or night-work pay; ``rate`` is the ratio applied to the hourly wage."""

    hourly_wage: float
    rate: float
    night_premium_amount: int | None = None


@dataclass(kw_only=True)
class UnemploymentBenefitResult(CalculationResult):
    """Monthly unemployment benefit (``amount``) and how many months it is paid."""

    months: int | None
    cap: int | None
    capped: bool
    total: int | None


@dataclass(kw_only=True)
class IncomeTaxResult(CalculationResult):
    """Monthly income tax (``amount``) and the taxable income it was computed on."""

    insurance: int
    taxable_income: int


@dataclass(kw_only=True)
class InsuranceDeductionResult(CalculationResult):
    """Insurance contributions per part (bhxh, bhyt, bhtn); ``amount`` is their sum."""

    parts: dict[str, int]


# ---------------------------------------------------------------------------------------------
# Validation


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal, Fraction)) and not isinstance(value, bool)


def _positive_number(value: object) -> Fraction | None:
    """Returns the value as an exact fraction if it is a number above zero, else None."""
    if not isinstance(value, (int, float, Decimal, Fraction)) or isinstance(value, bool):
        return None
    number = Fraction(_to_decimal(value))
    return number if number > 0 else None


def validate_wage(wage: object, field: str = "money") -> Fraction:
    """Checks a monthly wage or salary the worker gave.

    Args:
        wage: The amount in đồng.
        field: The input name reported in the error (the slot to ask again).

    Returns:
        The wage as an exact fraction.

    Raises:
        CalculatorInputError: If it is missing, not positive, implausibly small (a unit
            forgotten, e.g. "6" for 6 triệu) or above 1 billion đồng a month.
    """
    if not _is_number(wage):
        raise CalculatorInputError(
            field, "Dạ, anh/chị cho em biết mức lương theo tháng (ví dụ 6.500.000 đ hoặc 6tr5) ạ."
        )
    amount = _positive_number(wage)
    if amount is None:
        raise CalculatorInputError(
            field, "Dạ, mức lương phải lớn hơn 0, anh/chị nhập lại giúp em ạ."
        )
    if amount < MIN_MONTHLY_WAGE:
        raise CalculatorInputError(
            field,
            f"Dạ, mức {format_number(amount)} đ một tháng có vẻ thiếu đơn vị. Anh/chị ghi rõ giúp "
            "em, ví dụ 6 triệu hoặc 6.000.000 đ ạ.",
        )
    if amount > MAX_MONTHLY_WAGE:
        raise CalculatorInputError(
            field,
            f"Dạ, mức {format_money(amount)} một tháng cao bất thường, anh/chị kiểm tra lại giúp "
            "em số tiền theo tháng ạ.",
        )
    return amount


def validate_hours(hours: object, days: int | None = None, field: str = "hours") -> Fraction:
    """Checks a number of hours (overtime or night work).

    Args:
        hours: The hours.
        days: Over how many days they were worked; None means within one month.
        field: The input name reported in the error.

    Returns:
        The hours as an exact fraction.

    Raises:
        CalculatorInputError: If not positive or more than 24 hours a day.
    """
    if not _is_number(hours):
        raise CalculatorInputError(field, "Dạ, anh/chị làm bao nhiêu giờ ạ?")
    value = _positive_number(hours)
    if value is None:
        raise CalculatorInputError(field, "Dạ, số giờ phải lớn hơn 0, anh/chị nhập lại giúp em ạ.")
    limit = HOURS_PER_DAY * (days if days is not None else MAX_DAYS_PER_MONTH)
    if value > limit:
        if days is None:
            span = "trong một tháng"
        elif days == 1:
            span = "trong một ngày"
        else:
            span = f"trong {days} ngày"
        raise CalculatorInputError(
            field,
            f"Dạ, {format_number(value)} giờ {span} là vượt quá số giờ có thật "
            f"(tối đa {HOURS_PER_DAY} giờ/ngày). Anh/chị kiểm tra lại số giờ giúp em ạ.",
        )
    return value


def validate_working_time(working_days: object, hours_per_day: object) -> tuple[int, Fraction]:
    """Checks the working days per month and normal hours per day used for the hourly wage.

    Args:
        working_days: Normal working days in the month (as the company sets them).
        hours_per_day: Normal working hours per day.

    Returns:
        (working_days, hours_per_day).

    Raises:
        CalculatorInputError: If days are not 1–31 or hours not in (0, 24].
    """
    if (
        not isinstance(working_days, int)
        or isinstance(working_days, bool)
        or not (1 <= working_days <= MAX_DAYS_PER_MONTH)
    ):
        raise CalculatorInputError(
            "days",
            "Dạ, số ngày công trong tháng phải từ 1 đến 31, anh/chị kiểm tra lại giúp em "
            "(thường là 26 hoặc 24 ngày) ạ.",
        )
    per_day = _positive_number(hours_per_day)
    if per_day is None or per_day > HOURS_PER_DAY:
        raise CalculatorInputError(
            "hours",
            "Dạ, số giờ làm việc bình thường mỗi ngày phải lớn hơn 0 và không quá 24, "
            "anh/chị kiểm tra lại giúp em ạ.",
        )
    return working_days, per_day


def validate_months(months: object, field: str = "duration_months") -> int:
    """Checks a length of service or of contributions in months.

    Args:
        months: Whole months.
        field: The input name reported in the error.

    Returns:
        The months.

    Raises:
        CalculatorInputError: If negative, fractional or longer than 60 years.
    """
    if not isinstance(months, int) or isinstance(months, bool):
        raise CalculatorInputError(
            field, "Dạ, anh/chị cho em biết thời gian theo năm và tháng (ví dụ 3 năm 6 tháng) ạ."
        )
    if months < 0:
        raise CalculatorInputError(field, "Dạ, thời gian không thể âm, anh/chị nhập lại giúp em ạ.")
    if months > MAX_SERVICE_MONTHS:
        raise CalculatorInputError(
            field,
            f"Dạ, {_service_words(months)} là dài bất thường, anh/chị kiểm tra lại giúp em ạ.",
        )
    return months


def validate_day_type(day_type: object, rules: OvertimeRules) -> str:
    """Checks the kind of day.

    Args:
        day_type: "weekday", "rest_day" or "holiday".
        rules: The overtime rules (their rates name the accepted kinds).

    Returns:
        The day type.

    Raises:
        CalculatorInputError: If the kind is unknown.
    """
    if not isinstance(day_type, str) or day_type not in rules.rates:
        raise CalculatorInputError(
            "day_type",
            "Dạ, anh/chị làm thêm vào ngày thường, ngày nghỉ hằng tuần hay ngày lễ, tết ạ?",
        )
    return day_type


def validate_region(region: object, rules: UnemploymentRules) -> int:
    """Checks a minimum-wage region.

    Args:
        region: The region number.
        rules: The unemployment rules (their minimum wages name the regions).

    Returns:
        The region.

    Raises:
        CalculatorInputError: If the region is not one of the known regions.
    """
    if (
        isinstance(region, bool)
        or not isinstance(region, int)
        or (region not in rules.min_wage_by_region)
    ):
        raise CalculatorInputError(
            "region",
            "Dạ, nơi anh/chị làm việc cuối cùng thuộc vùng nào (vùng I, II, III hay IV) ạ?",
        )
    return region


# ---------------------------------------------------------------------------------------------
# Overtime and night work (Điều 98 BLLĐ 2019; Điều 55-57 NĐ 145/2020)


def _hourly_wage(
    monthly_wage: object, working_days: int | None, hours_per_day: Number | None
) -> tuple[Fraction, Fraction, list[str], list[str]]:
    wage = validate_wage(monthly_wage)
    assumptions: list[str] = []
    if working_days is None:
        working_days = DEFAULT_WORKING_DAYS
        assumptions.append(
            f"Em tạm tính {working_days} ngày công/tháng; nếu công ty quy định số ngày khác, "
            "anh/chị báo để em tính lại."
        )
    if hours_per_day is None:
        hours_per_day = DEFAULT_HOURS_PER_DAY
        assumptions.append(f"Em tạm tính {hours_per_day} giờ làm việc bình thường/ngày.")
    days, per_day = validate_working_time(working_days, hours_per_day)
    hourly = wage / days / per_day
    step = (
        f"Lương giờ = {format_money(wage)} ÷ {days} ngày ÷ {format_number(per_day)} giờ "
        f"= {format_number(hourly)} đ"
    )
    return hourly, wage, [step], assumptions


def _overtime_rate(
    rules: OvertimeRules, day_type: str, night: bool, after_daytime_overtime: bool
) -> tuple[Fraction, str]:
    day_rate = rules.rates[day_type]
    label = DAY_TYPE_LABELS.get(day_type, day_type)
    if not night:
        return day_rate, f"Mức làm thêm giờ {label}: {format_percent(day_rate)} lương giờ"
    # Điều 57 NĐ 145/2020: the daytime rate is 100% on a weekday without daytime overtime,
    # otherwise the overtime rate of that day.
    if day_type == "weekday" and not after_daytime_overtime:
        daytime_rate = Fraction(1)
    else:
        daytime_rate = day_rate
    rate = day_rate + rules.night_premium + rules.night_overtime_day_share * daytime_rate
    explained = (
        f"Mức làm thêm giờ ban đêm {label} = {format_percent(day_rate)} + "
        f"{format_percent(rules.night_premium)} + {format_percent(rules.night_overtime_day_share)}"
        f" × {format_percent(daytime_rate)} = {format_percent(rate)}"
    )
    return rate, explained


def overtime_pay(
    monthly_wage: Number,
    hours: Number,
    values: Mapping[str, Any] | OvertimeRules,
    *,
    day_type: str = "weekday",
    night: bool = False,
    after_daytime_overtime: bool = False,
    working_days: int | None = None,
    hours_per_day: Number | None = None,
    overtime_days: int | None = None,
) -> OvertimePayResult:
    """Computes overtime pay (tiền lương làm thêm giờ).

    Args:
        monthly_wage: Monthly wage in đồng (the actual wage of the job, without overtime pay).
        hours: Overtime hours to pay.
        values: The ``overtime_pay`` fact values or rules built from them.
        day_type: "weekday", "rest_day" or "holiday".
        night: Whether the overtime was worked at night.
        after_daytime_overtime: For night overtime on a weekday: whether the worker also did
            daytime overtime that day (raises the night supplement's base).
        working_days: Normal working days in the month; default 26, stated as an assumption.
        hours_per_day: Normal hours per day; default 8, stated as an assumption.
        overtime_days: Over how many days the hours were worked, if known (for the 24 h/day
            check); None checks against one month.

    Returns:
        The pay, rounded to the đồng, with the formula.

    Raises:
        CalculatorInputError: If an input is missing or out of range.
    """
    rules = _rules(values, OvertimeRules)
    day_type = validate_day_type(day_type, rules)
    overtime_hours = validate_hours(hours, overtime_days)
    hourly, _wage, steps, assumptions = _hourly_wage(monthly_wage, working_days, hours_per_day)
    rate, rate_step = _overtime_rate(rules, day_type, night, after_daytime_overtime)
    amount = _round_half_up(hourly * rate * overtime_hours)
    steps.append(rate_step)
    steps.append(
        f"Tiền làm thêm giờ = {format_number(hourly)} đ × {format_percent(rate)} × "
        f"{format_number(overtime_hours)} giờ = {format_money(amount)}"
    )
    if day_type == "holiday":
        assumptions.append(
            "Người hưởng lương theo ngày còn được trả thêm tiền lương của ngày lễ, tết đó."
        )
    return OvertimePayResult(
        amount=amount,
        steps=steps,
        assumptions=assumptions,
        hourly_wage=float(hourly),
        rate=float(rate),
    )


def night_work_pay(
    monthly_wage: Number,
    hours: Number,
    values: Mapping[str, Any] | OvertimeRules,
    *,
    working_days: int | None = None,
    hours_per_day: Number | None = None,
    work_days: int | None = None,
) -> OvertimePayResult:
    """Computes pay for normal (not overtime) hours worked at night, premium included.

    Args:
        monthly_wage: Monthly wage in đồng.
        hours: Night hours within normal working time.
        values: The ``overtime_pay`` fact values (its ``night_premium``) or rules.
        working_days: Normal working days in the month; default 26, stated as an assumption.
        hours_per_day: Normal hours per day; default 8, stated as an assumption.
        work_days: Over how many days the hours were worked, if known.

    Returns:
        The pay for those hours (``amount``) and the night premium part.

    Raises:
        CalculatorInputError: If an input is missing or out of range.
    """
    rules = _rules(values, OvertimeRules)
    night_hours = validate_hours(hours, work_days)
    hourly, _wage, steps, assumptions = _hourly_wage(monthly_wage, working_days, hours_per_day)
    rate = 1 + rules.night_premium
    amount = _round_half_up(hourly * rate * night_hours)
    premium = _round_half_up(hourly * rules.night_premium * night_hours)
    steps.append(
        f"Tiền lương làm việc ban đêm = {format_number(hourly)} đ × {format_percent(rate)} × "
        f"{format_number(night_hours)} giờ = {format_money(amount)}"
    )
    steps.append(
        f"Trong đó phụ cấp làm đêm = {format_number(hourly)} đ × "
        f"{format_percent(rules.night_premium)} × {format_number(night_hours)} giờ "
        f"= {format_money(premium)}"
    )
    return OvertimePayResult(
        amount=amount,
        steps=steps,
        assumptions=assumptions,
        hourly_wage=float(hourly),
        rate=float(rate),
        night_premium_amount=premium,
    )


# ---------------------------------------------------------------------------------------------
# Severance and job loss (Điều 46, 47 BLLĐ 2019; Điều 8 NĐ 145/2020)


def countable_service_years(months: int, half_year_max_leftover_months: int) -> Fraction:
    """Rounds service time the way Điều 8 khoản 3 NĐ 145/2020 counts it.

    Args:
        months: Countable months of service.
        half_year_max_leftover_months: Leftover months up to this count as ½ year; more
            count as a whole year (the knowledge value, 6).

    Returns:
        Whole years, plus ½ or 1 year for the leftover months.
    """
    years, leftover = divmod(months, 12)
    if leftover == 0:
        return Fraction(years)
    return Fraction(years) + (Fraction(1, 2) if leftover <= half_year_max_leftover_months else 1)


def _countable_months(
    service_months: object, bhtn_months: object, paid_months: object
) -> tuple[int, int, list[str]]:
    service = validate_months(service_months)
    covered = validate_months(bhtn_months, "bhtn_months")
    paid = validate_months(paid_months, "paid_months")
    if covered + paid > service:
        raise CalculatorInputError(
            "bhtn_months",
            "Dạ, thời gian đã đóng bảo hiểm thất nghiệp (và đã được trả trợ cấp) không thể dài "
            "hơn tổng thời gian làm việc, anh/chị kiểm tra lại giúp em ạ.",
        )
    countable = service - covered - paid
    step = f"Thời gian làm việc: {_service_words(service)}"
    if covered:
        step += f"; trừ thời gian đã đóng BHTN: {_service_words(covered)}"
    if paid:
        step += f"; trừ thời gian đã được trả trợ cấp: {_service_words(paid)}"
    step += f" → thời gian tính trợ cấp: {_service_words(countable)}"
    return service, countable, [step]


def _leftover_step(countable: int, years: Fraction, rules: SeveranceRules) -> str | None:
    leftover = countable % 12
    if leftover == 0:
        return None
    limit = rules.half_year_max_leftover_months
    if leftover <= limit:
        return f"Phần lẻ {leftover} tháng (không quá {limit} tháng) tính là ½ năm → " + (
            f"{format_number(years)} năm"
        )
    return f"Phần lẻ {leftover} tháng (trên {limit} tháng) tính là 1 năm → " + (
        f"{format_number(years)} năm"
    )


def _service_allowance(
    name: str,
    leaving: str,
    average_wage: object,
    service_months: object,
    rules: SeveranceRules,
    bhtn_months: object,
    paid_months: object,
) -> CalculationResult:
    """Shared computation of trợ cấp thôi việc and trợ cấp mất việc làm."""
    wage = validate_wage(average_wage)
    service, countable, steps = _countable_months(service_months, bhtn_months, paid_months)
    period = (
        f"{rules.average_wage_months} tháng liền kề" if rules.average_wage_months else "các tháng"
    )
    assumptions = [
        f"Mức lương dùng để tính là tiền lương bình quân theo hợp đồng của {period} trước khi "
        f"{leaving}."
    ]
    if service < rules.min_service_months:
        steps.append(
            f"Anh/chị làm việc thường xuyên dưới {rules.min_service_months} tháng nên chưa đủ "
            f"điều kiện hưởng {name}."
        )
        return CalculationResult(amount=0, steps=steps, assumptions=assumptions)
    if countable == 0 and not rules.min_months_paid:
        steps.append(
            "Toàn bộ thời gian đã được tính vào bảo hiểm thất nghiệp (hoặc đã được chi trả) nên "
            f"không còn thời gian tính {name}; anh/chị xem chế độ trợ cấp thất nghiệp."
        )
        return CalculationResult(amount=0, steps=steps, assumptions=assumptions)
    years = countable_service_years(countable, rules.half_year_max_leftover_months)
    leftover_step = _leftover_step(countable, years, rules)
    if leftover_step:
        steps.append(leftover_step)
    months_of_wage = years * rules.months_per_year
    per_year = f"{format_number(rules.months_per_year)} tháng lương"
    if months_of_wage >= rules.min_months_paid:
        amount = _round_half_up(months_of_wage * wage)
        steps.append(
            f"{name.capitalize()} = {format_number(years)} năm × {per_year} × "
            f"{format_money(wage)} = {format_money(amount)}"
        )
        return CalculationResult(amount=amount, steps=steps, assumptions=assumptions)
    amount = _round_half_up(rules.min_months_paid * wage)
    steps.append(
        f"{format_number(years)} năm × {per_year} = {format_number(months_of_wage)} tháng, "
        f"thấp hơn mức tối thiểu {format_number(rules.min_months_paid)} tháng lương"
    )
    steps.append(
        f"{name.capitalize()} = {format_number(rules.min_months_paid)} × {format_money(wage)} "
        f"= {format_money(amount)}"
    )
    if countable == 0:
        assumptions.append(
            "Toàn bộ thời gian đã đóng bảo hiểm thất nghiệp; em vẫn áp dụng mức tối thiểu, "
            "anh/chị nên hỏi thêm cán bộ công đoàn để chắc chắn."
        )
    return CalculationResult(amount=amount, steps=steps, assumptions=assumptions)


def severance_allowance(
    average_wage: Number,
    service_months: int,
    values: Mapping[str, Any] | SeveranceRules,
    *,
    bhtn_months: int = 0,
    paid_months: int = 0,
) -> CalculationResult:
    """Computes the severance allowance (trợ cấp thôi việc, Điều 46 BLLĐ 2019).

    Args:
        average_wage: Average monthly wage under the contract before leaving, in đồng.
        service_months: Total months of regular work for the employer.
        values: The ``severance_allowance`` fact values or rules built from them.
        bhtn_months: Months of that time covered by unemployment insurance (not counted).
        paid_months: Months already paid severance or job-loss allowance for (not counted).

    Returns:
        The allowance in đồng (0 when not entitled), with the formula.

    Raises:
        CalculatorInputError: If an input is missing or out of range.
    """
    rules = _rules(values, SeveranceRules)
    return _service_allowance(
        "trợ cấp thôi việc",
        "nghỉ việc",
        average_wage,
        service_months,
        rules,
        bhtn_months,
        paid_months,
    )


def job_loss_allowance(
    average_wage: Number,
    service_months: int,
    values: Mapping[str, Any] | JobLossRules,
    *,
    bhtn_months: int = 0,
    paid_months: int = 0,
) -> CalculationResult:
    """Computes the job-loss allowance (trợ cấp mất việc làm, Điều 47 BLLĐ 2019).

    Args:
        average_wage: Average monthly wage under the contract before losing the job, in đồng.
        service_months: Total months of regular work for the employer.
        values: The ``job_loss_allowance`` fact values or rules built from them.
        bhtn_months: Months covered by unemployment insurance (not counted).
        paid_months: Months already paid severance or job-loss allowance for (not counted).

    Returns:
        The allowance in đồng (at least the minimum number of months' wages when entitled).

    Raises:
        CalculatorInputError: If an input is missing or out of range.
    """
    rules = _rules(values, JobLossRules)
    return _service_allowance(
        "trợ cấp mất việc làm",
        "mất việc",
        average_wage,
        service_months,
        rules,
        bhtn_months,
        paid_months,
    )


# ---------------------------------------------------------------------------------------------
# Union dues, insurance, probation


def union_dues(
    bhxh_salary: Number,
    values: Mapping[str, Any] | UnionDuesRules,
    base_salary_values: Mapping[str, Any] | None = None,
) -> CalculationResult:
    """Computes the monthly union dues (đoàn phí) of a member.

    Args:
        bhxh_salary: Salary used for compulsory social insurance, in đồng.
        values: The ``union_dues`` fact values (with ``base_salary_values``) or rules.
        base_salary_values: The ``base_salary`` fact values ``{amount}``; needed unless
            ``values`` is already a rules object.

    Returns:
        The dues in đồng per month, capped.

    Raises:
        CalculatorInputError: If the salary is missing or out of range.
    """
    if isinstance(values, UnionDuesRules):
        rules = values
    else:
        if base_salary_values is None:
            raise KnowledgeValueError("union_dues needs the base_salary values for its cap")
        rules = _rules(values, UnionDuesRules, base_salary_values)
    salary = validate_wage(bhxh_salary)
    raw = rules.rate * salary
    cap = rules.cap_base_salary_ratio * rules.base_salary
    steps = [
        f"Đoàn phí = {format_percent(rules.rate)} × {format_money(salary)} = {format_money(raw)}"
    ]
    steps.append(
        f"Mức tối đa = {format_percent(rules.cap_base_salary_ratio)} × lương cơ sở "
        f"{format_money(rules.base_salary)} = {format_money(cap)}"
    )
    if raw > cap:
        amount = _round_half_up(cap)
        steps.append(f"Số tính được vượt mức tối đa nên đoàn phí là {format_money(amount)}/tháng")
    else:
        amount = _round_half_up(raw)
        steps.append(f"Đoàn phí phải đóng: {format_money(amount)}/tháng")
    assumptions = ["Tính trên tiền lương làm căn cứ đóng bảo hiểm xã hội."]
    if rules.state_enterprise_take_home:
        assumptions.append(
            "Nếu anh/chị làm ở doanh nghiệp nhà nước thì đoàn phí tính trên tiền lương thực lĩnh."
        )
    return CalculationResult(amount=amount, steps=steps, assumptions=assumptions)


def insurance_deduction(
    bhxh_salary: Number,
    values: Mapping[str, Any] | InsuranceRates,
    *,
    side: str = "employee",
    parts: Iterable[str] | None = None,
    ceilings: Mapping[str, Number] | None = None,
) -> InsuranceDeductionResult:
    """Computes compulsory insurance contributions (BHXH, BHYT, BHTN) on a salary.

    Args:
        bhxh_salary: Salary used for compulsory insurance, in đồng.
        values: The ``social_insurance_rates`` fact values or rates built from them.
        side: "employee" (deducted from pay) or "employer".
        parts: Which parts to include (e.g. ``["bhxh"]``); default all of that side.
        ceilings: Optional maximum salary per part on which contributions are charged.

    Returns:
        The total (``amount``) and each part, each rounded to the đồng.

    Raises:
        CalculatorInputError: If the salary is out of range or a part is unknown.
    """
    rates = _rules(values, InsuranceRates)
    salary = validate_wage(bhxh_salary)
    if side not in rates.sides:
        raise KnowledgeValueError(f"no insurance rates for side {side!r}")
    side_rates = rates.sides[side]
    wanted = list(parts) if parts is not None else list(side_rates)
    unknown = [part for part in wanted if part not in side_rates]
    if unknown or not wanted:
        raise CalculatorInputError(
            "insurance_part", "Dạ, anh/chị muốn tính phần BHXH, BHYT hay BHTN ạ?"
        )
    steps: list[str] = []
    breakdown: dict[str, int] = {}
    for part in wanted:
        base = salary
        label = INSURANCE_LABELS.get(part, part.upper())
        if ceilings and part in ceilings and salary > Fraction(_to_decimal(ceilings[part])):
            base = Fraction(_to_decimal(ceilings[part]))
            steps.append(f"Lương vượt mức trần đóng {label}, tính trên {format_money(base)}")
        breakdown[part] = _round_half_up(side_rates[part] * base)
        steps.append(
            f"{label}: {format_percent(side_rates[part])} × {format_money(base)} "
            f"= {format_money(breakdown[part])}"
        )
    total = sum(breakdown.values())
    total_rate = sum((side_rates[part] for part in wanted), Fraction(0))
    if len(wanted) > 1:
        steps.append(f"Tổng cộng ({format_percent(total_rate)}): {format_money(total)}")
    who = "người lao động" if side == "employee" else "người sử dụng lao động"
    assumptions = [f"Phần do {who} đóng, tính trên tiền lương tháng đóng bảo hiểm."]
    return InsuranceDeductionResult(
        amount=total, steps=steps, assumptions=assumptions, parts=breakdown
    )


def insurance_ceilings(
    values: Mapping[str, Any],
    base_salary_values: Mapping[str, Any],
    min_wage_values: Mapping[str, Any] | None = None,
    region: int | None = None,
) -> dict[str, int]:
    """Builds the salary ceilings per insurance part for ``insurance_deduction``.

    Args:
        values: The ``social_insurance_rates`` fact values, with
            ``ceiling_base_salary_multiple`` (BHXH, BHYT) and optionally
            ``bhtn_ceiling_min_wage_multiple``.
        base_salary_values: The ``base_salary`` fact values ``{amount}``.
        min_wage_values: The ``min_wage_region`` fact values, for the BHTN ceiling.
        region: The workplace region, for the BHTN ceiling.

    Returns:
        Part → highest salary contributions are charged on; BHTN only when the region and
        its minimum wage are known.
    """
    base_ceiling = _round_half_up(
        _ratio(values, "ceiling_base_salary_multiple") * _whole(base_salary_values, "amount")
    )
    ceilings = {"bhxh": base_ceiling, "bhyt": base_ceiling}
    if (
        min_wage_values is not None
        and region is not None
        and ("bhtn_ceiling_min_wage_multiple" in values)
    ):
        monthly = _get(min_wage_values, "monthly")
        if region in monthly:
            ceilings["bhtn"] = _round_half_up(
                _ratio(values, "bhtn_ceiling_min_wage_multiple") * _whole(monthly, region)
            )
    return ceilings


def probation_wage(
    job_wage: Number, values: Mapping[str, Any] | ProbationRules
) -> CalculationResult:
    """Computes the lowest lawful probation wage for a job.

    Args:
        job_wage: The monthly wage of the job after probation, in đồng.
        values: The ``probation`` fact values or rules built from them.

    Returns:
        The minimum probation wage in đồng per month.

    Raises:
        CalculatorInputError: If the wage is missing or out of range.
    """
    rules = _rules(values, ProbationRules)
    wage = validate_wage(job_wage)
    amount = _round_half_up(rules.min_wage_ratio * wage)
    steps = [
        f"Lương thử việc tối thiểu = {format_percent(rules.min_wage_ratio)} × {format_money(wage)}"
        f" = {format_money(amount)}/tháng"
    ]
    return CalculationResult(
        amount=amount, steps=steps, assumptions=["Hai bên có thể thỏa thuận mức cao hơn."]
    )


# ---------------------------------------------------------------------------------------------
# Annual leave (Điều 113, 114 BLLĐ 2019)


def annual_leave_days(
    service_months: int,
    values: Mapping[str, Any] | AnnualLeaveRules,
    *,
    job_category: str = "normal",
) -> CalculationResult:
    """Computes the paid annual leave days of a year.

    Args:
        service_months: Months worked for the same employer.
        values: The ``annual_leave`` fact values or rules built from them.
        job_category: "normal", "heavy_or_minor_or_disabled" or "very_heavy".

    Returns:
        Days of leave (``unit`` "ngày"): base days plus seniority days; under 12 months,
        the base days in proportion to the months worked.

    Raises:
        CalculatorInputError: If the months or the category are invalid.
    """
    rules = _rules(values, AnnualLeaveRules)
    months = validate_months(service_months)
    if job_category not in rules.base_days:
        raise CalculatorInputError(
            "job_category",
            "Dạ, công việc của anh/chị là công việc bình thường, nặng nhọc độc hại, hay đặc "
            "biệt nặng nhọc độc hại ạ?",
        )
    base = rules.base_days[job_category]
    label = JOB_CATEGORY_LABELS.get(job_category, job_category)
    steps = [f"Số ngày phép cơ bản ({label}): {base} ngày/năm"]
    qualifying = rules.qualifying_months or 12
    if months < qualifying:
        days = Fraction(base * months, 12)
        steps.append(
            f"Làm việc chưa đủ {qualifying} tháng: {base} ngày × {months}/12 tháng "
            f"= {format_number(days, 1)} ngày"
        )
        return CalculationResult(
            amount=round(float(days), 2),
            unit="ngày",
            steps=steps,
            assumptions=[
                "Số ngày phép tính theo tỷ lệ số tháng đã làm; cách làm tròn ngày lẻ anh/chị "
                "xem quy chế công ty hoặc hỏi cán bộ công đoàn."
            ],
        )
    years = months // 12
    extra = years // rules.extra_day_every_years * rules.extra_days
    steps.append(
        f"Thâm niên {years} năm: cứ đủ {rules.extra_day_every_years} năm được thêm "
        f"{rules.extra_days} ngày → thêm {extra} ngày"
    )
    total = base + extra
    steps.append(f"Tổng cộng: {base} + {extra} = {total} ngày/năm")
    return CalculationResult(amount=total, unit="ngày", steps=steps)


# ---------------------------------------------------------------------------------------------
# Unemployment benefit (Luật Việc làm 2025)


def _benefit_months(rules: UnemploymentRules, contribution_months: int) -> tuple[int, str]:
    extra = max(0, contribution_months - rules.base_contribution_months)
    extra_months = extra // rules.extra_month_per_contribution_months
    months = min(rules.base_months + extra_months, rules.max_months)
    step = (
        f"Thời gian hưởng: {contribution_months} tháng đóng → {rules.base_months} tháng "
        f"(cho {rules.base_contribution_months} tháng đầu)"
    )
    if extra_months:
        step += (
            f" + {extra_months} tháng (mỗi {rules.extra_month_per_contribution_months} tháng "
            "đóng thêm)"
        )
    if rules.base_months + extra_months > rules.max_months:
        step += f", tối đa {rules.max_months} tháng"
    return months, step + f" = {months} tháng"


def unemployment_benefit(
    average_salary: Number,
    values: Mapping[str, Any] | UnemploymentRules,
    min_wage_values: Mapping[str, Any] | None = None,
    *,
    region: int | None = None,
    contribution_months: int | None = None,
) -> UnemploymentBenefitResult:
    """Computes the monthly unemployment benefit, its cap and how many months it is paid.

    Args:
        average_salary: Average BHTN salary of the last 6 months, in đồng.
        values: The ``unemployment_benefit`` fact values (with ``min_wage_values``) or rules.
        min_wage_values: The ``min_wage_region`` fact values in force at the last month of
            contributions; needed unless ``values`` is already a rules object.
        region: Region (1–4) of the last workplace; needed only when the cap could apply.
        contribution_months: Months of BHTN contributions, for the duration.

    Returns:
        The monthly benefit (``amount``), ``months`` (None if contributions are unknown),
        the cap used and the total over the whole period.

    Raises:
        CalculatorInputError: If an input is out of range, or the region is needed for the
            cap and missing (``field == "region"``).
    """
    if isinstance(values, UnemploymentRules):
        rules = values
    else:
        if min_wage_values is None:
            raise KnowledgeValueError("unemployment_benefit needs the min_wage_region values")
        rules = _rules(values, UnemploymentRules, min_wage_values)
    salary = validate_wage(average_salary)
    raw = rules.rate * salary
    steps = [
        f"Mức hưởng = {format_percent(rules.rate)} × {format_money(salary)} = {format_money(raw)}"
        "/tháng"
    ]
    assumptions: list[str] = []
    lowest_cap = rules.cap_min_wage_multiple * min(rules.min_wage_by_region.values())
    cap: int | None = None
    capped = False
    if region is None and raw > lowest_cap:
        raise CalculatorInputError(
            "region",
            "Dạ, mức hưởng có thể bị giới hạn theo lương tối thiểu vùng. Nơi anh/chị làm việc "
            "cuối cùng thuộc vùng nào (vùng I, II, III hay IV) ạ?",
        )
    if region is not None:
        region = validate_region(region, rules)
        cap = _round_half_up(rules.cap_min_wage_multiple * rules.min_wage_by_region[region])
        steps.append(
            f"Mức tối đa = {format_number(rules.cap_min_wage_multiple)} × lương tối thiểu vùng "
            f"{format_money(rules.min_wage_by_region[region])} = {format_money(cap)}"
        )
        capped = raw > cap
    amount = cap if capped and cap is not None else _round_half_up(raw)
    if capped:
        steps.append(f"Số tính được vượt mức tối đa nên mức hưởng là {format_money(amount)}/tháng")
    months: int | None = None
    total: int | None = None
    if contribution_months is not None:
        contributed = validate_months(contribution_months, "contribution_months")
        if contributed < rules.min_contribution_months:
            steps.append(
                f"Anh/chị mới đóng {contributed} tháng, chưa đủ {rules.min_contribution_months} "
                "tháng nên chưa đủ điều kiện hưởng trợ cấp thất nghiệp."
            )
            return UnemploymentBenefitResult(
                amount=0,
                steps=steps,
                assumptions=assumptions,
                months=0,
                cap=cap,
                capped=False,
                total=0,
            )
        months, months_step = _benefit_months(rules, contributed)
        steps.append(months_step)
        total = amount * months
        steps.append(f"Tổng cộng = {format_money(amount)} × {months} tháng = {format_money(total)}")
        assumptions.append(
            "Em chỉ tính theo số tháng đóng; điều kiện hưởng (thời điểm đóng, lý do nghỉ việc, "
            "hồ sơ nộp đúng hạn) cần Trung tâm dịch vụ việc làm xác nhận."
        )
    return UnemploymentBenefitResult(
        amount=amount,
        steps=steps,
        assumptions=assumptions,
        months=months,
        cap=cap,
        capped=capped,
        total=total,
    )


# ---------------------------------------------------------------------------------------------
# Unused annual leave (Điều 113 khoản 3 BLLĐ 2019) and income tax on wages


def unused_leave_pay(
    monthly_wage: Number,
    unused_days: Number,
    *,
    working_days: int | None = None,
) -> CalculationResult:
    """Computes the pay for unused annual leave days when the job ends.

    Args:
        monthly_wage: Monthly wage in đồng.
        unused_days: Annual leave days not taken.
        working_days: Normal working days in the month; default 26, stated as an assumption.

    Returns:
        The pay in đồng, by the daily-wage method (wage ÷ working days × days).

    Raises:
        CalculatorInputError: If an input is missing or out of range.
    """
    wage = validate_wage(monthly_wage)
    days_left = _positive_number(unused_days)
    if days_left is None or days_left > MAX_DAYS_PER_YEAR:
        raise CalculatorInputError("days", "Dạ, anh/chị còn bao nhiêu ngày phép chưa nghỉ ạ?")
    assumptions = [
        "Em tính theo lương ngày (lương tháng ÷ số ngày công), cách tính thông dụng; công thức "
        "chính xác anh/chị nên hỏi thêm cán bộ công đoàn."
    ]
    if working_days is None:
        working_days = DEFAULT_WORKING_DAYS
        assumptions.append(f"Em tạm tính {working_days} ngày công/tháng.")
    days, _per_day = validate_working_time(working_days, DEFAULT_HOURS_PER_DAY)
    amount = _round_half_up(wage / days * days_left)
    steps = [
        f"Tiền phép chưa nghỉ = {format_money(wage)} ÷ {days} ngày × "
        f"{format_number(days_left)} ngày = {format_money(amount)}"
    ]
    return CalculationResult(amount=amount, steps=steps, assumptions=assumptions)


def _progressive_tax(taxable: Fraction, rules: IncomeTaxRules) -> tuple[Fraction, list[str]]:
    tax = Fraction(0)
    lower = 0
    steps: list[str] = []
    for upper, rate in rules.brackets:
        if taxable <= lower:
            break
        top = taxable if upper is None else min(taxable, Fraction(upper))
        part = (top - lower) * rate
        tax += part
        steps.append(
            f"Bậc {format_percent(rate)}: ({format_money(top)} − {format_money(lower)}) × "
            f"{format_percent(rate)} = {format_money(part)}"
        )
        if upper is None:
            break
        lower = upper
    return tax, steps


def income_tax(
    gross_wage: Number,
    values: Mapping[str, Any] | IncomeTaxRules,
    insurance_values: Mapping[str, Any] | InsuranceRates,
    *,
    dependants: int = 0,
    insurance_salary: Number | None = None,
    ceilings: Mapping[str, Number] | None = None,
) -> IncomeTaxResult:
    """Computes the monthly personal income tax on a wage (thuế TNCN).

    Args:
        gross_wage: Monthly gross wage in đồng (taxable income before deductions).
        values: The ``income_tax`` fact values or rules built from them.
        insurance_values: The ``social_insurance_rates`` fact values (employee part is
            deducted before tax).
        dependants: Number of registered dependants.
        insurance_salary: Salary insurance is paid on, if different from the gross wage.
        ceilings: Optional insurance salary ceilings (see ``insurance_ceilings``).

    Returns:
        The tax in đồng per month, the insurance deducted and the taxable income.

    Raises:
        CalculatorInputError: If an input is missing or out of range.
    """
    rules = _rules(values, IncomeTaxRules)
    gross = validate_wage(gross_wage)
    if isinstance(dependants, bool) or not isinstance(dependants, int) or not 0 <= dependants <= 20:
        raise CalculatorInputError(
            "dependants", "Dạ, anh/chị đăng ký bao nhiêu người phụ thuộc ạ (ví dụ 0, 1, 2)?"
        )
    base = gross if insurance_salary is None else insurance_salary
    insurance = insurance_deduction(base, insurance_values, ceilings=ceilings)
    deductions = rules.personal_deduction + dependants * rules.dependant_deduction
    taxable = max(Fraction(0), gross - insurance.amount - deductions)
    steps = [
        f"Bảo hiểm bắt buộc phần người lao động: {format_money(insurance.amount)}",
        f"Giảm trừ gia cảnh: {format_money(rules.personal_deduction)} bản thân"
        + (
            f" + {dependants} × {format_money(rules.dependant_deduction)} người phụ thuộc"
            if dependants
            else ""
        )
        + f" = {format_money(deductions)}",
        f"Thu nhập tính thuế = {format_money(gross)} − {format_money(insurance.amount)} − "
        f"{format_money(deductions)} = {format_money(taxable)}",
    ]
    tax, bracket_steps = _progressive_tax(taxable, rules)
    steps.extend(bracket_steps)
    amount = _round_half_up(tax)
    steps.append(f"Thuế TNCN phải nộp: {format_money(amount)}/tháng")
    assumptions = [
        "Em coi toàn bộ số lương anh/chị đưa là thu nhập chịu thuế; nếu có khoản được miễn "
        "thuế thì số thuế thực tế sẽ thấp hơn."
    ]
    return IncomeTaxResult(
        amount=amount,
        steps=steps,
        assumptions=assumptions,
        insurance=insurance.amount,
        taxable_income=_round_half_up(taxable),
    )
