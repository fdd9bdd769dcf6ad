"""Amounts and dates as Chinese documents print them (pure).

Amounts: integer fen → figures ("76,000.00") and capital numerals (大写, "柒万陆仟元整"), the form
published decisions use ("罚款伍佰肆拾伍元整(¥545元)", documents.md §0.4). Dates: Arabic numerals without
leading zeros ("2025年1月10日"), the default of documents.md §0.4 (GB/T 9704—2012 成文日期).
"""

from __future__ import annotations

from datetime import date, datetime

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
GROUP_UNITS = ("", "万", "亿", "万亿")


def _group_words(group: int) -> str:
    """0 < group < 10000 → capitals with inner zeros ("壹仟零伍")."""
    out = ""
    zero_pending = False
    for position in range(3, -1, -1):
        digit = group // 10**position % 10
        if digit == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out += "零"
            zero_pending = False
        out += DIGITS[digit] + SMALL_UNITS[position]
    return out


def integer_words(n: int) -> str:
    """A non-negative integer in capital numerals ("壹拾万", "壹亿零伍万")."""
    if n < 0:
        raise ValueError("negative amount")
    if n == 0:
        return "零"
    groups: list[int] = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    if len(groups) > len(GROUP_UNITS):
        raise ValueError("amount too large")
    out = ""
    need_zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            need_zero = bool(out)
            continue
        # A zero digit between two non-zero digits is read once (一百万零五千, 十万零一千, 一万零一).
        if out and (need_zero or group < 1000):
            out += "零"
        out += _group_words(group) + GROUP_UNITS[index]
        need_zero = group % 10 == 0
    return out


def amount_in_words(fen: int) -> str:
    """Fen → 大写金额: "壹拾万元整", "伍佰肆拾伍元伍角整", "壹元零伍分", "零元整"."""
    if fen < 0:
        raise ValueError("negative amount")
    yuan, rest = divmod(fen, 100)
    jiao, fen_part = divmod(rest, 10)
    out = integer_words(yuan) + "元" if yuan or not rest else ""
    if jiao:
        out += DIGITS[jiao] + "角"
    elif fen_part and yuan:
        out += "零"
    if fen_part:
        out += DIGITS[fen_part] + "分"
    else:
        out += "整"
    return out


def amount_in_figures(fen: int) -> str:
    """Fen → "76,000.00" (yuan with thousands separators and two decimals)."""
    if fen < 0:
        raise ValueError("negative amount")
    yuan, rest = divmod(fen, 100)
    return f"{yuan:,}.{rest:02d}"


def amount_text(fen: int) -> str:
    """Both forms, as printed: "人民币柒万陆仟元整（¥76,000.00元）"."""
    return f"人民币{amount_in_words(fen)}（¥{amount_in_figures(fen)}元）"


def chinese_date(day: date) -> str:
    """ "2026年11月20日" (Arabic numerals, no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_datetime(moment: datetime) -> str:
    """ "2026年11月20日9时05分" (the clock as given: callers convert to Beijing time first)."""
    return f"{chinese_date(moment.date())}{moment.hour}时{moment.minute:02d}分"
