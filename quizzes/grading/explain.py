"""Why a 填空 answer is wrong (quizzes.grading.blank), in Chinese: 缺少关键词「质量」, 答案中有多余内容, 应为「…」,
第 2 空应为「…」, 第 1 空和第 2 空填反了."""

from __future__ import annotations

from quizzes.grading.normalize import PARTICLES, normalize
from quizzes.grading.prepared import Alt, Blank, Prepared

__all__ = ["explain"]


def explain(prep: Prepared, parts: list[str], whole: str, *, exact: bool) -> str:
    blanks = prep.blanks
    if len(blanks) == 1:
        return _explain_blank(blanks[0], whole, exact)
    sets = [b.exact if exact else b.accept for b in blanks]
    if len(parts) == len(blanks):
        for k, (part, accepted) in enumerate(zip(parts, sets)):
            if part in accepted:
                continue
            for j, other in enumerate(sets):
                if j != k and part in other:
                    first, second = sorted((k, j))
                    return f"第 {first + 1} 空和第 {second + 1} 空填反了"
            reason = _explain_blank(blanks[k], part, exact)
            if reason == _EXTRA:
                return f"第 {k + 1} 空有多余内容"
            return f"第 {k + 1} 空应为「{blanks[k].alts[0].display}」"
        return _EXTRA
    # run together, or not as many parts as blanks: look for each blank's answer after the previous one
    position = 0
    for k, blank in enumerate(blanks):
        hits = [(at, alt) for alt in blank.alts if (at := whole.find(_form(alt, exact), position)) >= 0]
        if not hits:
            if k and any(_form(alt, exact) in whole[:position] for alt in blank.alts):
                return f"第 {k} 空和第 {k + 1} 空填反了"  # found, but before the previous blank's answer
            return f"第 {k + 1} 空应为「{blank.alts[0].display}」"
        at, alt = min(hits, key=lambda hit: hit[0])
        position = at + len(_form(alt, exact))
    return _EXTRA  # every answer there, in order, with something else around them


_EXTRA = "答案中有多余内容"


def _form(alt: Alt, exact: bool) -> str:
    return alt.norm if exact else alt.canon


def _explain_blank(blank: Blank, text: str, exact: bool) -> str:
    if any(_form(alt, exact) in text for alt in blank.alts):
        return _EXTRA
    best: tuple[int, int, list[str], str, Alt] | None = None
    for alt in blank.alts:
        missing, leftover = _coverage(text, alt, exact)
        score = (sum(len(m) for m in missing), len(leftover), missing, leftover, alt)
        if best is None or score[:2] < best[:2]:
            best = score
    if best is None:
        return _EXTRA
    _, _, missing, leftover, alt = best
    if missing:
        return "缺少关键词" + "".join(f"「{m}」" for m in missing[:3])
    if leftover:
        return _EXTRA
    return f"应为「{alt.display}」"


def _coverage(text: str, alt: Alt, exact: bool) -> tuple[list[str], str]:
    """The key words of `alt` not found in `text`, and what is left of `text` once the found ones are taken out."""
    rest = text
    missing: set[int] = set()
    order = sorted(range(len(alt.keywords)), key=lambda n: -len(alt.keywords[n][1]))
    for n in order:
        shown, canon = alt.keywords[n]
        word = normalize(shown) if exact else canon
        at = rest.find(word)
        if at < 0:
            missing.add(n)
        else:
            rest = rest[:at] + "\x00" + rest[at + len(word):]
    leftover = "".join(ch for ch in rest if ch != "\x00" and ch not in PARTICLES)
    return [alt.keywords[n][0] for n in sorted(missing)], leftover
