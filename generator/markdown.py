"""The one markdown-it-py setup: safe Markdown plus LaTeX fragments turned into HTML/Unicode.

Abstracts pasted from ACL or arXiv pages carry bits of LaTeX (``\\textbf{x}``, ``$O(n^2)$``,
``22--25\\%``, ````quoted''``, ``na\\"ively``). They are converted at build time by small named
markdown-it rules that emit *tokens* (text, ``<sup>``, ``<strong>``, links...), never raw HTML,
so the renderer escapes every character that comes from the content.

Notes also read footnotes (``text[^1]`` ... ``[^1]: the note``, by mdit-py-plugins) and
task lists (``- [ ] reread section 3``); tables and ``~~strikethrough~~`` are the preset's.

Safety: the ``js-default`` preset (raw HTML off unless the config allows it), URLs become
links (scheme required), ``javascript:``/``vbscript:``/``data:``/``file:`` links are dropped
and external links get ``rel="noopener"``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from generator.model import is_safe_slug, slugify

# A node of converted LaTeX: text, or (tag, children) with tag in sup/sub/strong/em/code.
Node = Any

SYMBOLS: dict[str, str] = {
    # Greek
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "omicron": "ο", "pi": "π", "varpi": "ϖ",
    "rho": "ρ", "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ", "upsilon": "υ",
    "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    # operators and relations
    "times": "×", "cdot": "·", "div": "÷", "pm": "±", "mp": "∓", "ast": "∗", "star": "⋆",
    "circ": "∘", "bullet": "•", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠",
    "ne": "≠", "approx": "≈", "sim": "∼", "simeq": "≃", "equiv": "≡", "propto": "∝",
    "ll": "≪", "gg": "≫", "infty": "∞", "partial": "∂", "nabla": "∇", "sum": "∑",
    "prod": "∏", "int": "∫", "in": "∈", "notin": "∉", "ni": "∋", "subset": "⊂",
    "subseteq": "⊆", "supset": "⊃", "supseteq": "⊇", "cup": "∪", "cap": "∩",
    "emptyset": "∅", "varnothing": "∅", "forall": "∀", "exists": "∃", "neg": "¬",
    "lnot": "¬", "land": "∧", "wedge": "∧", "lor": "∨", "vee": "∨", "oplus": "⊕",
    "otimes": "⊗", "odot": "⊙", "to": "→", "rightarrow": "→", "gets": "←", "leftarrow": "←",
    "Rightarrow": "⇒", "Leftarrow": "⇐", "leftrightarrow": "↔", "Leftrightarrow": "⇔",
    "implies": "⟹", "iff": "⟺", "mapsto": "↦", "uparrow": "↑", "downarrow": "↓",
    "ldots": "…", "dots": "…", "cdots": "⋯", "vdots": "⋮", "prime": "′", "ell": "ℓ",
    "hbar": "ℏ", "top": "⊤", "bot": "⊥", "perp": "⊥", "parallel": "∥", "mid": "|",
    "vert": "|", "Vert": "‖", "langle": "⟨", "rangle": "⟩", "lceil": "⌈", "rceil": "⌉",
    "lfloor": "⌊", "rfloor": "⌋", "lbrace": "{", "rbrace": "}", "degree": "°",
    "checkmark": "✓", "dag": "†", "ddag": "‡", "S": "§", "P": "¶", "aleph": "ℵ",
    "Re": "ℜ", "Im": "ℑ", "wp": "℘", "angle": "∠", "triangle": "△", "square": "□",
    # named functions read as words
    **{name: name for name in (
        "log", "ln", "exp", "max", "min", "sup", "inf", "lim", "arg", "argmax", "argmin",
        "sin", "cos", "tan", "det", "dim", "softmax", "Pr", "deg", "gcd", "mod")},
    # text-mode symbols
    "textdegree": "°", "copyright": "©", "textcopyright": "©", "textregistered": "®",
    "texttrademark": "™", "pounds": "£", "euro": "€", "texteuro": "€", "textbackslash": "\\",
    "textasciitilde": "~", "textasciicircum": "^", "textbar": "|", "textless": "<",
    "textgreater": ">", "textendash": "–", "textemdash": "—", "textquoteleft": "‘",
    "textquoteright": "’", "textquotedblleft": "“", "textquotedblright": "”",
    "textbullet": "•", "textellipsis": "…", "textperiodcentered": "·", "textpm": "±",
    "texttimes": "×", "textmu": "µ", "LaTeX": "LaTeX", "TeX": "TeX", "ss": "ß", "o": "ø",
    "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "l": "ł",
    "L": "Ł", "i": "ı", "j": "ȷ", "quad": "\u2003", "qquad": "\u2003\u2003",
    "enspace": "\u2002", "thinspace": "\u2009", "newline": " ", "par": " ",
}
# commands whose argument is shown with a style (or none)
WRAPPERS: dict[str, str | None] = {
    "textbf": "strong", "mathbf": "strong", "boldsymbol": "strong", "bm": "strong",
    "textit": "em", "emph": "em", "textsl": "em", "mathit": "em", "texttt": "code",
    "mathtt": "code", "textsuperscript": "sup", "textsubscript": "sub",
    **{name: None for name in (
        "textrm", "textsf", "textsc", "textnormal", "textup", "textmd", "text", "mbox",
        "mathrm", "mathsf", "mathcal", "mathscr", "mathfrak", "operatorname", "underline",
        "uline", "ensuremath", "hbox", "mathnormal")},
}
# commands that only size or space things; dropped
IGNORED = frozenset({
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
    "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits", "middle", "noindent",
    "centering", "small", "footnotesize", "normalsize", "large", "Large",
})
BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"}
# combining marks: \"a \'e \`e \^o \~n \=a \.z and \u{g} \v{c} \H{o} \c{c} \k{a} \r{a}
ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303",
           "=": "\u0304", ".": "\u0307"}
LETTER_ACCENTS = {"u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327",
                  "k": "\u0328", "r": "\u030a", "d": "\u0323", "b": "\u0331"}
MATH_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305",
                "tilde": "\u0303", "widetilde": "\u0303", "vec": "\u20d7", "dot": "\u0307",
                "ddot": "\u0308"}
MATH_SPACES = {",": "\u2009", ";": " ", ":": " ", "!": "", " ": " ", "\\": " "}
MATH_ESCAPES = {"%": "%", "$": "$", "&": "&", "#": "#", "_": "_", "{": "{", "}": "}"}
MAX_DEPTH = 40  # deeper LaTeX groups are left as text
SCAN_LIMIT = 4000  # how far a brace or a closing $ is looked for


# --- LaTeX math: a small recursive-descent reader that returns nodes ---------------------

def _find_brace(src: str, start: int, end: int) -> int | None:
    """Index of the ``}`` closing the ``{`` at ``start`` (escapes honoured), or None."""
    depth = 0
    i = start
    stop = min(end, start + SCAN_LIMIT)
    while i < stop:
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _merge(nodes: list[Node]) -> list[Node]:
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, str):
            if not node:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += node
                continue
        out.append(node)
    return out


def node_text(nodes: Sequence[Node]) -> str:
    """The plain text of converted nodes, markup dropped."""
    return "".join(n if isinstance(n, str) else node_text(n[1]) for n in nodes)


def _accent(base: str, mark: str) -> str:
    base = "i" if base == "ı" else "j" if base == "ȷ" else base
    return unicodedata.normalize("NFC", base + mark)


class _MathReader:
    """Reads LaTeX math source (``O(n^2)``, ``1-\\mathrm{x}``) into nodes."""

    def __init__(self, src: str):
        self.src = src

    def seq(self, i: int, end: int, depth: int) -> list[Node]:
        src = self.src
        nodes: list[Node] = []
        while i < end:
            ch = src[i]
            if ch == "{":
                close = _find_brace(src, i, end)
                if close is None or depth >= MAX_DEPTH:
                    nodes.append(ch)
                    i += 1
                    continue
                nodes.extend(self.seq(i + 1, close, depth + 1))
                i = close + 1
            elif ch in "^_":
                arg, i = self.arg(i + 1, end, depth)
                if arg is None:
                    nodes.append(ch)
                else:
                    nodes.append(("sup" if ch == "^" else "sub", arg))
            elif ch == "\\":
                got, i = self.command(i, end, depth)
                nodes.extend(got)
            elif ch == "-":
                nodes.append("−")
                i += 1
            elif ch == "'":
                nodes.append("′")
                i += 1
            elif ch == "~":
                nodes.append("\u00a0")
                i += 1
            elif ch.isspace():
                j = i
                while j < end and src[j].isspace():
                    j += 1
                nodes.append(" ")
                i = j
            else:
                nodes.append(ch)
                i += 1
        return _merge(nodes)

    def arg(self, i: int, end: int, depth: int) -> tuple[list[Node] | None, int]:
        """One argument: a ``{group}``, a command or a single character."""
        src = self.src
        while i < end and src[i] == " ":
            i += 1
        if i >= end:
            return None, i
        if src[i] == "{":
            close = _find_brace(src, i, end)
            if close is None or depth >= MAX_DEPTH:
                return None, i
            return self.seq(i + 1, close, depth + 1), close + 1
        if src[i] == "\\":
            got, j = self.command(i, end, depth)
            return got, j
        if src[i] in "}^_":
            return None, i
        return self.seq(i, i + 1, depth), i + 1

    def command(self, i: int, end: int, depth: int) -> tuple[list[Node], int]:
        """A command at ``src[i] == '\\'`` -> (nodes, next index)."""
        src = self.src
        j = i + 1
        while j < end and src[j].isascii() and src[j].isalpha():
            j += 1
        name = src[i + 1:j]
        if not name:
            if j >= end:
                return ["\\"], j
            ch = src[j]
            if ch in MATH_SPACES:
                return [MATH_SPACES[ch]], j + 1
            if ch in MATH_ESCAPES:
                return [MATH_ESCAPES[ch]], j + 1
            if ch in ACCENTS:
                arg, k = self.arg(j + 1, end, depth)
                if arg and len(node_text(arg)) == 1:
                    return [_accent(node_text(arg), ACCENTS[ch])], k
            return [ch], j + 1
        if name in SYMBOLS:
            return [SYMBOLS[name]], j
        if name in IGNORED:
            if name in ("left", "right", "middle", "bigl", "bigr", "Bigl", "Bigr") \
                    and j < end and src[j] == ".":
                j += 1
            return [], j
        if name in WRAPPERS or name in ("mathbb", "frac", "dfrac", "tfrac", "sqrt") or \
                name in MATH_ACCENTS or name in LETTER_ACCENTS:
            arg, k = self.arg(j, end, depth + 1)
            if arg is None:
                return ["\\" + name], j
            if name == "mathbb":
                text = node_text(arg)
                return ["".join(BLACKBOARD.get(c, c) for c in text)], k
            if name in ("frac", "dfrac", "tfrac"):
                den, k2 = self.arg(k, end, depth + 1)
                if den is None:
                    return ["\\" + name], j
                return [*_paren(arg), "/", *_paren(den)], k2
            if name == "sqrt":
                return ["√", *_paren(arg)], k
            if name in MATH_ACCENTS or name in LETTER_ACCENTS:
                text = node_text(arg)
                mark = MATH_ACCENTS.get(name) or LETTER_ACCENTS[name]
                return [_accent(text, mark) if len(text) == 1 else text + mark], k
            tag = WRAPPERS[name]
            return (list(arg) if tag is None else [(tag, tuple(arg))]), k
        return ["\\" + name], j


def _paren(nodes: list[Node]) -> list[Node]:
    text = node_text(nodes)
    if len(text) <= 1 or re.fullmatch(r"[\w.]+", text):
        return nodes
    return ["(", *nodes, ")"]


def math_nodes(src: str) -> list[Node]:
    """LaTeX math source -> nodes: ``O(n^2)`` -> ['O(n', ('sup', ('2',)), ')']."""
    return _MathReader(src).seq(0, len(src), 0)


# --- markdown-it rules ----------------------------------------------------------------

def _emit(state: StateInline, nodes: Sequence[Node]) -> None:
    for node in nodes:
        if isinstance(node, str):
            state.pending += node
            continue
        tag, children = node
        if tag == "code":
            token = state.push("code_inline", "code", 0)
            token.content = node_text(children)
            token.markup = "`"
            continue
        state.push(f"{tag}_open", tag, 1).markup = "tex"
        _emit(state, children)
        state.push(f"{tag}_close", tag, -1).markup = "tex"


def _tokenize_range(state: StateInline, start: int, end: int, resume: int) -> None:
    """Parse src[start:end] as inline Markdown into the current token stream."""
    old_max = state.posMax
    state.pos, state.posMax = start, end
    state.md.inline.tokenize(state)
    state.pos, state.posMax = resume, old_max


def _add_link(state: StateInline, url: str, label_range: tuple[int, int] | None,
              resume: int) -> bool:
    """A link to ``url`` labelled by the Markdown in ``label_range`` (else by the URL);
    False, with nothing added, when the URL is not a safe link."""
    href = state.md.normalizeLink(url.strip())
    if not url.strip() or not state.md.validateLink(href):
        return False
    token = state.push("link_open", "a", 1)
    token.attrs = {"href": href}
    token.markup = "tex"
    if label_range:
        state.linkLevel += 1
        _tokenize_range(state, label_range[0], label_range[1], resume)
        state.linkLevel -= 1
    else:
        state.pending += url
        state.pos = resume
    state.push("link_close", "a", -1).markup = "tex"
    return True


def tex_command(state: StateInline, silent: bool) -> bool:
    """``\\textbf{x}``, ``\\url{u}``, ``\\times``, ``\\"a``, ``\\ ``: text-mode LaTeX."""
    src, pos, end = state.src, state.pos, state.posMax
    if src[pos] != "\\" or pos + 1 >= end or state.level >= MAX_DEPTH:
        return False
    nxt = src[pos + 1]
    if nxt in " ,":  # "a.k.a.\ " and thin spaces
        if not silent:
            state.pending += " " if nxt == " " else "\u2009"
        state.pos = pos + 2
        return True
    if nxt in ACCENTS:  # \"a \"{a} \'e; otherwise it is a Markdown escape
        j = pos + 2
        if j < end and src[j] == "{":
            close = _find_brace(src, j, end)
            base, after = (src[j + 1:close], close + 1) if close else ("", j)
        else:
            base, after = src[j:j + 1], j + 1
        if base.startswith("\\") and base[1:] in ("i", "j"):
            base = SYMBOLS[base[1:]]
        if len(base) == 1 and base.isalpha():
            composed = _accent(base, ACCENTS[nxt])
            if len(composed) == 1:
                if not silent:
                    state.pending += composed
                state.pos = after
                return True
        return False
    j = pos + 1
    while j < end and src[j].isascii() and src[j].isalpha():
        j += 1
    name = src[pos + 1:j]
    if not name:
        return False
    if name in SYMBOLS:
        if j < end and src[j] == "{" and j + 1 < end and src[j + 1] == "}":
            j += 2  # \LaTeX{} and \ss{}
        if not silent:
            state.pending += SYMBOLS[name]
        state.pos = j
        return True
    if name in IGNORED:
        state.pos = j
        return True
    if name in LETTER_ACCENTS and j < end and src[j] == "{":
        close = _find_brace(src, j, end)
        if close is not None and close == j + 2 and src[j + 1].isalpha():
            composed = _accent(src[j + 1], LETTER_ACCENTS[name])
            if not silent:
                state.pending += composed
            state.pos = close + 1
            return True
        return False
    if j >= end or src[j] != "{":
        return False
    close = _find_brace(src, j, end)
    if close is None:
        return False
    if name in ("url", "href"):
        url = src[j + 1:close]
        label: tuple[int, int] | None = None
        resume = close + 1
        if name == "href":
            if resume < end and src[resume] == "{":
                label_close = _find_brace(src, resume, end)
                if label_close is None:
                    return False
                label = (resume + 1, label_close)
                resume = label_close + 1
            else:
                return False
        if silent or state.linkLevel > 0 or not _add_link(state, url, label, resume):
            if not silent:  # (inside a link, or no safe link: the text alone)
                state.pending += url if label is None else src[label[0]:label[1]]
            state.pos = resume
        return True
    if name in ("mathbb", "frac", "dfrac", "sqrt") or name in MATH_ACCENTS:
        last = close
        if name in ("frac", "dfrac"):  # the denominator too
            if close + 1 >= end or src[close + 1] != "{":
                return False
            den = _find_brace(src, close + 1, end)
            if den is None:
                return False
            last = den
        if not silent:
            _emit(state, math_nodes(src[pos:last + 1]))
        state.pos = last + 1
        return True
    if name not in WRAPPERS:
        return False
    tag = WRAPPERS[name]
    if silent:
        state.pos = close + 1
        return True
    if tag == "code":
        token = state.push("code_inline", "code", 0)
        token.content = src[j + 1:close]
        token.markup = "`"
        state.pos = close + 1
        return True
    if tag in ("sup", "sub"):
        _emit(state, [(tag, tuple(math_nodes(src[j + 1:close])))])
        state.pos = close + 1
        return True
    if tag is not None:
        state.push(f"{tag}_open", tag, 1).markup = "tex"
    _tokenize_range(state, j + 1, close, close + 1)
    if tag is not None:
        state.push(f"{tag}_close", tag, -1).markup = "tex"
    return True


_MATH_CLOSE = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}


def tex_math(state: StateInline, silent: bool) -> bool:
    """``$...$``, ``\\(...\\)`` and displayed ``$$...$$``, ``\\[...\\]`` -> text with
    ``<sup>``/``<sub>`` in a ``span.math`` (``span.math.math-display``, a line of its own).

    Pandoc's rule keeps prices safe: the opening ``$`` has a non-space after it, the
    closing one a non-space before it and no digit after it. ``\\[`` is math only with a
    space or line break after it: ``\\[1\\]`` is Markdown's escaped bracket.
    """
    src, pos, end = state.src, state.pos, state.posMax
    if src[pos] == "$":
        delim = "$$" if src.startswith("$$", pos) else "$"
    elif src.startswith(("\\(", "\\["), pos):
        delim = src[pos:pos + 2]
    else:
        return False
    start = pos + len(delim)
    if start >= end:
        return False
    if delim == "$" and src[start].isspace():
        return False  # "from $ 5 to $ 10": prices
    if delim == "\\[" and not src[start].isspace():
        return False  # "\\[1\\]": an escaped bracket
    closing = _MATH_CLOSE[delim]
    i = start
    stop = min(end, start + SCAN_LIMIT)
    close = None
    while i < stop:
        ch = src[i]
        if ch == "\\":
            if src.startswith(closing, i):
                close = i
                break
            i += 2
            continue
        if ch == "$" and delim == "$$":
            if src.startswith("$$", i):
                close = i
                break
        elif ch == "$" and delim == "$":
            if not src[i - 1].isspace() and not (i + 1 < end and src[i + 1].isdigit()):
                close = i
                break
        i += 1
    if close is None or not src[start:close].strip():
        return False
    if not silent:
        token = state.push("math_open", "span", 1)
        token.attrs = {"class": "math math-display" if delim in ("$$", "\\[") else "math"}
        token.markup = delim
        _emit(state, math_nodes(src[start:close].strip()))
        state.push("math_close", "span", -1).markup = delim
    state.pos = close + len(closing)
    return True


_WORD_GROUP = re.compile(r"[^\W_][\w\-' ]*")
_AFTER_COMMAND = re.compile(r"\\[A-Za-z]+$")
_URL_GROUP = re.compile(r"https?://[^\s{}]+")


def tex_script(state: StateInline, silent: bool) -> bool:
    """``x^2``, ``L^{3/2}`` and ``x_{i}`` written outside ``$...$``."""
    src, pos, end = state.src, state.pos, state.posMax
    ch = src[pos]
    if ch not in "^_" or pos == 0 or pos + 1 >= end:
        return False
    before = src[pos - 1]
    if not (before.isalnum() or before in ")]}"):
        return False
    nxt = src[pos + 1]
    if nxt == "{":
        close = _find_brace(src, pos + 1, end)
        if close is None:
            return False
        nodes = math_nodes(src[pos + 2:close])
        after = close + 1
    elif ch == "_":
        return False  # snake_case stays as is
    elif nxt.isdigit():
        after = pos + 1
        while after < end and src[after].isdigit():
            after += 1
        nodes = [src[pos + 1:after]]
    elif nxt.isascii() and nxt.isalpha() and (pos + 2 >= end or not src[pos + 2].isalpha()):
        nodes, after = [nxt], pos + 2
    else:
        return False
    if not silent:
        _emit(state, [("sup" if ch == "^" else "sub", tuple(nodes))])
    state.pos = after
    return True


def tex_group(state: StateInline, silent: bool) -> bool:
    """A TeX group of plain words or one URL, ``{overthinking}``, ``{BERT}``: braces dropped."""
    src, pos, end = state.src, state.pos, state.posMax
    if src[pos] != "{":
        return False
    close = src.find("}", pos + 1, min(end, pos + 2000))
    if close == -1 or _AFTER_COMMAND.search(src, max(0, pos - 40), pos):
        return False
    if _URL_GROUP.fullmatch(src, pos + 1, close):  # {https://...}: the link, no braces
        if not silent:
            _tokenize_range(state, pos + 1, close, close + 1)
        state.pos = close + 1
        return True
    if not _WORD_GROUP.fullmatch(src, pos + 1, close):
        return False
    if not silent:
        state.pending += src[pos + 1:close]
    state.pos = close + 1
    return True


_SCHEME_RE = re.compile(r"(?:^|[^a-z0-9.+-])([a-z][a-z0-9.+-]*)$", re.IGNORECASE)
_SCHEME_MAX = 32  # characters: longer than any scheme linkify knows (http, mailto, ...)


def linkify_url(state: StateInline, silent: bool) -> bool:
    """markdown-it's linkify rule, plus ``\\href`` remnants: ``url{text}``, ``url{url}``."""
    pos, end, src = state.pos, state.posMax, state.src
    if state.linkLevel > 0 or pos + 3 > end or src[pos:pos + 3] != "://":
        return False
    # (the end of the pending text only: searched whole at each "://", a run of them was
    # read in quadratic time; a scheme is short, one reaching past the end is none)
    tail = state.pending[-_SCHEME_MAX:]
    match = _SCHEME_RE.search(tail)
    if not match or (match.start(1) == 0 and len(tail) < len(state.pending)):
        return False
    proto = match.group(1)
    start = pos - len(proto)
    linkify = state.md.linkify
    link = linkify.match_at_start(src[start:end]) if linkify is not None else None
    if not link:
        return False
    url: str = link.url.rstrip("*")
    label = None
    consumed = len(link.url.rstrip("*"))
    brace = url.find("{")
    if brace > len(proto) + 3:
        close = _find_brace(src, start + brace, end)
        url = url[:brace]
        consumed = brace
        if close is not None:
            inner = src[start + brace + 1:close]
            consumed = close + 1 - start
            if not inner.startswith(("http://", "https://")):
                label = inner
    href = state.md.normalizeLink(url)
    if not state.md.validateLink(href):
        return False
    if not silent:
        state.pending = state.pending[:-len(proto)]
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": href}
        token.markup = "linkify"
        token.info = "auto"
        state.push("text", "", 0).content = label if label else \
            state.md.normalizeLinkText(url)
        token = state.push("link_close", "a", -1)
        token.markup = "linkify"
        token.info = "auto"
    state.pos = start + consumed
    return True


_DOUBLE_QUOTES = re.compile(r"(?<![`\\])``(?!`)([^`]*?)''(?!')")
_SINGLE_QUOTES = re.compile(r"(?<![`\w\\])`(?!`)([^`]*?)'(?![\w'`])")
_STRAIGHT_QUOTES = re.compile(r"(?<![\w'])''(?=\S)([^'\n]*?)(?<=\S)''(?![\w'])")


def tex_quotes(state: StateCore) -> None:
    """````x''`` -> “x”, ```x'`` -> ‘x’, ``''x''`` -> “x”, in inline source before parsing."""
    for token in state.tokens:
        if token.type != "inline" or ("`" not in token.content and
                                       "''" not in token.content):
            continue
        text = _DOUBLE_QUOTES.sub(r"“\1”", token.content)
        text = _SINGLE_QUOTES.sub(r"‘\1’", text)
        token.content = _STRAIGHT_QUOTES.sub(r"“\1”", text)


_EM_DASH = re.compile(r"(^|[^-])---(?=[^-]|$)", re.MULTILINE)
_EN_DASH_SPACED = re.compile(r"(^|\s)--(?=\s|$)", re.MULTILINE)
_EN_DASH = re.compile(r"(^|[^-\s<!])--(?=[^-\s>]|$)", re.MULTILINE)


def tex_dashes(state: StateCore) -> None:
    """``--`` -> en dash, ``---`` -> em dash, in text (not code, not link URLs)."""
    for token in state.tokens:
        if token.type != "inline" or not token.children or "--" not in token.content:
            continue
        in_autolink = 0
        for child in token.children:
            if child.type == "link_open" and child.info == "auto":
                in_autolink += 1
            elif child.type == "link_close" and child.info == "auto":
                in_autolink -= 1
            elif child.type == "text" and not in_autolink and "--" in child.content:
                text = _EM_DASH.sub("\\1—", child.content)
                text = _EN_DASH_SPACED.sub("\\1–", text)
                child.content = _EN_DASH.sub("\\1–", text)


def shift_headings(state: StateCore) -> None:
    """Notes headings nest below the page's own: with an offset of 2 the notes' shallowest
    heading (``#`` or ``##``, as the writer chose) is an ``<h3>``, under the page's ``<h2>
    Notes``, and the deeper ones follow (a level skipped is a heading-order fault)."""
    offset = int(state.env.get("heading_offset", 0))
    levels = [int(t.tag[1:]) for t in state.tokens if t.type == "heading_open"]
    if not offset or not levels:
        return
    shift = offset + 1 - min(levels)
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{max(1, min(6, int(token.tag[1:]) + shift))}"


NOTE_ID = "note-"  # the start of the id of a heading in the notes

# A link to another paper of the list, as a writer would put it: the file beside this one
# (``other.md``, ``./other.md``, ``../other.md``), the page README shows (``../other/``) or a
# bare slug (``other``); a ``#fragment`` is kept.
_PAPER_LINK = re.compile(r"(?:\.\.?/)?([^/#?:]+?)(\.md|/index\.html|/)?(#.*)?")


def paper_link(href: str) -> tuple[str, str] | None:
    """The slug and ``#fragment`` a notes link names when it is a link to a paper, else None.
    Syntax alone decides, so a page does not depend on which other papers exist."""
    found = _PAPER_LINK.fullmatch(href)
    if found is None:
        return None
    name, suffix, fragment = found[1], found[2], found[3] or ""
    if suffix == ".md":
        stem = unquote(name)
        slug = stem if is_safe_slug(stem) else slugify(stem)
    elif is_safe_slug(name):
        slug = name
    else:
        return None
    return slug, fragment


def paper_links(state: StateCore) -> None:
    """Links to another paper point at its page, ``../slug/index.html``: the paper pages
    are siblings, and a folder link would open a file listing from disk (file://). A
    ``#fragment`` names a heading of that paper's notes (see ``heading_ids``)."""
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        for child in token.children:
            if child.type != "link_open":
                continue
            href = str(child.attrGet("href") or "")
            found = paper_link(href)
            if found is not None:
                fragment = f"#{NOTE_ID}{found[1][1:]}" if len(found[1]) > 1 else ""
                child.attrSet("href", f"../{found[0]}/index.html{fragment}")
                child.meta = {**(child.meta or {}), "paper": found[0], "source": href}


_SCHEME_OR_ROOT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:|/|#")


# a link or image left as text, `[x](javascript:…)` (or a definition, `[x]: data:…`): its
# target
_LINK_AS_TEXT = re.compile(r"\](?:\(\s*<?|:[ \t]*)([^\s)>]+)")


# a footnote reference left as text, ``[^3]`` (no ``[^3]: ...`` note): its label
_FOOTNOTE_AS_TEXT = re.compile(r"\[\^([^\]\s]+)\](?!:)")
# the same as written in the source, its ``[`` not escaped (``\[^a-z]`` is meant as text)
_FOOTNOTE_WRITTEN = re.compile(r"(?<!\\)(?:\\\\)*\[\^([^\]\s]+)\](?!:)")
# a footnote's definition line, ``[^3]: ...`` (in a quote too): its label
_FOOTNOTE_DEFINED = re.compile(r"[ >]*\[\^([^\] ]+)\]:")


def note_targets(text: str) -> list[tuple[int, str, str]]:
    """Each link to a paper, each image by a relative path, each link refused for its
    scheme (``javascript:``: shown as text) and each footnote cited without a note or noted
    without a citation in notes -> (its line, counted from the notes' first line as 0;
    ``paper``, ``image``, ``refused``, ``no-footnote`` or ``uncited``; the slug, the path,
    the link as written or the footnote's label), for ``check`` to report what the site
    would not have."""
    found: list[tuple[int, str, str]] = []
    env: dict[str, Any] = {}
    tokens = _NOTES.parse(text, env)  # (read as the site reads notes)
    for token in tokens:
        if token.type != "inline" or not token.children or token.map is None:
            continue
        at = 0
        for child in token.children:
            targets: list[tuple[str, str, str]] = []  # (kind, as written, value)
            if child.type == "text":
                targets = [("refused", url, url) for url in _LINK_AS_TEXT.findall(
                    child.content) if not validate_link(url)]
                targets += [("no-footnote", f"[^{label}]", label)
                            for label in _FOOTNOTE_AS_TEXT.findall(child.content)
                            if label in _FOOTNOTE_WRITTEN.findall(token.content)]
            elif child.type == "link_open" and child.meta and "paper" in child.meta:
                targets = [("paper", str(child.meta["source"]), str(child.meta["paper"]))]
            elif child.type == "image" and not _SCHEME_OR_ROOT.match(
                    src := str(child.attrGet("src") or "")) and src:
                targets = [("image", src, src)]
            for kind, written, value in targets:
                where = token.content.find(written, at)
                if where >= 0:
                    at = where + 1
                found.append((token.map[0] + token.content.count("\n", 0, max(at - 1, 0)),
                              kind, value))
    # a note no text cites is left out (markdown-it drops it with its tokens): its line
    uncited = [key[1:] for key, number in env.get("footnotes", {}).get("refs", {}).items()
               if number < 0]
    if uncited:
        lines: dict[str, int] = {}  # a label -> the line of its first definition
        fenced = {n for token in tokens if token.type in ("fence", "code_block") and token.map
                  for n in range(*token.map)}
        for n, line in enumerate(text.splitlines()):
            if n not in fenced and (defined := _FOOTNOTE_DEFINED.match(line)):
                lines.setdefault(defined.group(1), n)
        found += [(lines.get(label, 0), "uncited", label) for label in uncited]
    return found


TASK_BOXES = {"[ ] ": "☐ ", "[x] ": "☑ ", "[X] ": "☑ "}


def task_lists(state: StateCore) -> None:
    """``- [ ] read section 3`` and ``- [x] done``: the item starts with a ballot box (☐,
    ☑), text a screen reader names, in an ``li.task`` that shows no bullet."""
    tokens = state.tokens
    for i in range(len(tokens) - 2):
        item, inline = tokens[i], tokens[i + 2]
        if item.type != "list_item_open" or inline.type != "inline" or \
                inline.content[:4] not in TASK_BOXES or not inline.children:
            continue
        first = inline.children[0]
        if first.type == "text" and first.content[:4] in TASK_BOXES:
            first.content = TASK_BOXES[first.content[:4]] + first.content[4:]
            item.attrSet("class", "task")


_NOT_IN_ANCHOR = re.compile(r"[^\w\- ]")


def heading_anchors(texts: Sequence[str]) -> list[str]:
    """Each heading's anchor as GitHub makes it (lower case, punctuation dropped, spaces as
    ``-``; a repeat gets ``-1``, ``-2``), so ``[see](#key-ideas)`` finds ``## Key ideas``."""
    anchors: list[str] = []
    seen: set[str] = set()
    for text in texts:
        base = _NOT_IN_ANCHOR.sub("", text.strip().lower()).replace(" ", "-")
        anchor, n = base, 0
        while anchor in seen:
            n += 1
            anchor = f"{base}-{n}"
        seen.add(anchor)
        anchors.append(anchor)
    return anchors


def heading_ids(state: StateCore) -> None:
    """Notes (the text given a heading offset) get an id on each heading, ``note-`` and its
    anchor (the prefix keeps clear of the page's own ids), and a ``#anchor`` link in them
    is pointed at it."""
    if not state.env.get("heading_offset"):
        return
    heads = [i for i, t in enumerate(state.tokens) if t.type == "heading_open"]
    anchors = heading_anchors([_inline_text(state.tokens[i + 1].children or [])
                               for i in heads])
    for i, anchor in zip(heads, anchors, strict=True):
        state.tokens[i].attrSet("id", NOTE_ID + anchor)
    known = set(anchors)
    for token in state.tokens:
        if token.type != "inline" or not token.children or "#" not in token.content:
            continue
        for child in token.children:
            href = str(child.attrGet("href") or "") if child.type == "link_open" else ""
            if href.startswith("#") and unquote(href[1:]) in known:
                child.attrSet("href", "#" + NOTE_ID + unquote(href[1:]))


_BAD_SCHEME = re.compile(r"^(?:javascript|vbscript|data|file):", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


def validate_link(url: str) -> bool:
    """False for javascript:, vbscript:, data: and file: links (hidden characters ignored)."""
    return not _BAD_SCHEME.match(_INVISIBLE.sub("", url))


def _render_link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any,
                      env: Any) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if href.startswith(("http://", "https://", "//")):
        token.attrSet("rel", "noopener")
    return str(self.renderToken(tokens, idx, options, env))


def _render_table_open(self: Any, tokens: Sequence[Token], idx: int, options: Any,
                       env: Any) -> str:
    """A table in a box that scrolls sideways: a wide one stays readable on a phone (its
    cells keep their words whole) without widening the page. The box can take the focus,
    so the keyboard scrolls it too."""
    return ('<div class="table-scroll" role="region" aria-label="Table" tabindex="0">'
            + str(self.renderToken(tokens, idx, options, env)))


def _render_table_close(self: Any, tokens: Sequence[Token], idx: int, options: Any,
                        env: Any) -> str:
    return str(self.renderToken(tokens, idx, options, env)) + "</div>\n"


# Footnotes (``text[^1]`` ... ``[^1]: the note``), in notes only: mdit-py-plugins reads
# them (pandoc's syntax, as GitHub has it) and puts them at the end; these rules write them.
# Every id starts with ``fn-`` or ``fnref-`` (a notes heading's starts with ``note-``) and
# holds the paper's slug, then ``--`` (which no slug holds) and the note's number: unique
# on the paper's page and in a feed, which shows many papers' notes.

def _footnote_id(env: Any, kind: str, token: Token, repeat: bool = False) -> str:
    """``fn-<slug>--1`` for note 1; ``fnref-<slug>--1`` for its first reference and
    ``fnref-<slug>--1-2`` for its second (``repeat``: the reference's own, by subId)."""
    number = f"{int(token.meta['id']) + 1}"
    sub = int(token.meta.get("subId", 0) or 0) if repeat else 0
    ids = _escape(str(env.get("footnote_ids") or ""))  # (a slug: nothing to escape)
    return f"{kind}-{ids}--{number}" + (f"-{sub + 1}" if sub else "")


def _render_footnote_ref(self: Any, tokens: Sequence[Token], idx: int, options: Any,
                         env: Any) -> str:
    token = tokens[idx]
    number = int(token.meta["id"]) + 1
    return (f'<sup class="footnote-ref"><a href="#{_footnote_id(env, "fn", token)}" '
            f'id="{_footnote_id(env, "fnref", token, repeat=True)}" '
            f'aria-label="Footnote {number}">{number}</a></sup>')


def _render_footnote_block_open(self: Any, tokens: Sequence[Token], idx: int, options: Any,
                                env: Any) -> str:
    """The notes' footnotes, after them, under a heading a screen reader finds (one level
    below the page's own, as the notes' top headings are; shown only to screen readers)."""
    level = max(2, min(6, int(env.get("heading_offset", 0)) + 1))
    return (f'<section class="footnotes">\n<h{level} class="visually-hidden">Footnotes'
            f'</h{level}>\n<ol>\n')


def _render_footnote_block_close(self: Any, tokens: Sequence[Token], idx: int, options: Any,
                                 env: Any) -> str:
    return "</ol>\n</section>\n"


def _render_footnote_open(self: Any, tokens: Sequence[Token], idx: int, options: Any,
                          env: Any) -> str:
    return f'<li id="{_footnote_id(env, "fn", tokens[idx])}">'


def _render_footnote_close(self: Any, tokens: Sequence[Token], idx: int, options: Any,
                           env: Any) -> str:
    return "</li>\n"


def _render_footnote_anchor(self: Any, tokens: Sequence[Token], idx: int, options: Any,
                            env: Any) -> str:
    """The way back to a reference in the text (one per reference, for a note cited twice);
    ``\ufe0e`` keeps the arrow text, not an emoji, on iOS."""
    token = tokens[idx]
    number = int(token.meta["id"]) + 1
    sub = int(token.meta.get("subId", 0) or 0)
    name = f"{number}" + (f"-{sub + 1}" if sub else "")
    return (f' <a href="#{_footnote_id(env, "fnref", token, repeat=True)}" '
            f'class="footnote-backref" aria-label="Back to reference {name}">\u21a9\ufe0e</a>')


def make_markdown(allow_html: bool = False, footnotes: bool = False) -> MarkdownIt:
    """A markdown-it-py parser with the safe preset and the LaTeX rules (and, for notes,
    footnotes)."""
    md = MarkdownIt("js-default", {"linkify": True, "html": allow_html})
    assert md.linkify is not None  # linkify-it-py is a dependency
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
    md.validateLink = validate_link  # type: ignore[method-assign]
    md.inline.ruler.at("linkify", linkify_url)
    md.core.ruler.disable("linkify")  # scheme links are found inline; no fuzzy links
    md.inline.ruler.before("escape", "tex_command", tex_command)
    md.inline.ruler.before("escape", "tex_math", tex_math)
    md.inline.ruler.before("escape", "tex_script", tex_script)
    md.inline.ruler.before("escape", "tex_group", tex_group)
    md.core.ruler.before("inline", "tex_quotes", tex_quotes)
    md.core.ruler.before("text_join", "tex_dashes", tex_dashes)
    md.core.ruler.push("shift_headings", shift_headings)
    md.core.ruler.push("paper_links", paper_links)
    md.core.ruler.push("heading_ids", heading_ids)
    md.core.ruler.push("task_lists", task_lists)
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("table_close", _render_table_close)
    if footnotes:
        # (no ``^[inline notes]``: ``^[`` is no footnote in text that has LaTeX scripts)
        footnote_plugin(md, inline=False)
        md.add_render_rule("footnote_ref", _render_footnote_ref)
        md.add_render_rule("footnote_block_open", _render_footnote_block_open)
        md.add_render_rule("footnote_block_close", _render_footnote_block_close)
        md.add_render_rule("footnote_open", _render_footnote_open)
        md.add_render_rule("footnote_close", _render_footnote_close)
        md.add_render_rule("footnote_anchor", _render_footnote_anchor)
    return md


# Built once; the parsers keep no state between calls (each call gets its own env).
_SAFE = make_markdown(False)
_RAW = make_markdown(True)
_NOTES = make_markdown(False, footnotes=True)
_NOTES_RAW = make_markdown(True, footnotes=True)


def render_markdown(text: str, *, allow_html: bool = False, heading_offset: int = 0,
                    footnote_ids: str | None = None) -> str:
    """Markdown (with LaTeX fragments) -> HTML; raw HTML is shown as text unless allowed."""
    return render_markdown_with_text(text, allow_html=allow_html,
                                     heading_offset=heading_offset,
                                     footnote_ids=footnote_ids)[0]


# Plain text takes a shortcut past markdown-it (a third of a millisecond per abstract adds up
# at 10,000 papers): one line, nothing any block or inline rule would act on. The output is
# the same as markdown-it's; tests/test_build.py checks that on generated text.
# (one substring test each: several times quicker than a regex with the same alternatives)
_SPECIAL = ("\\", "`", "$", "^", "_", "*", "~", "[", "]", "<", "&", "{", "}", "\n", "\r",
            "\x00", "\t", "--", "://", "''")
_BLOCK_START = re.compile(r"[#>+\-*=|]|\d{1,9}[.)](?:\s|$)")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&quot;")


def is_plain(text: str) -> bool:
    """True when ``text`` renders as itself: one paragraph, no markup, no LaTeX, no URL."""
    if text != text.strip() or _BLOCK_START.match(text):
        return False
    for special in _SPECIAL:
        if special in text:
            return False
    return True


_HEADING = re.compile(r"(#{1,6}) (.+)")


def _plain_blocks(text: str, heading_offset: int) -> tuple[str, str] | None:
    """The shortcut for what notes mostly are: one-line paragraphs and ``#`` headings
    between single blank lines, each plain (see ``is_plain``; no ``#`` in a heading's
    text, which could close it) -> (HTML, text) as markdown-it makes them; None for
    anything else."""
    html: list[str] = []
    texts: list[str] = []
    blocks = text.strip("\n").split("\n\n")
    headings = [found for found in (_HEADING.fullmatch(b) for b in blocks if b[:1] == "#")
                if found is not None]
    shift = heading_offset + 1 - min(len(h[1]) for h in headings) \
        if heading_offset and headings else 0
    anchors = iter(heading_anchors([h[2] for h in headings]))
    for block in blocks:
        if not block:  # more than one blank line
            return None
        heading = _HEADING.fullmatch(block) if block[0] == "#" else None
        if heading is not None:
            inner = heading[2]
            if "#" in inner or not is_plain(inner):
                return None
            tag = f"h{max(1, min(6, len(heading[1]) + shift))}"
            anchor = next(anchors)
            ids = f' id="{_escape(NOTE_ID + anchor)}"' if heading_offset else ""
            html.append(f"<{tag}{ids}>{_escape(inner)}</{tag}>\n")
            texts.append(inner)
        elif is_plain(block):
            html.append(f"<p>{_escape(block)}</p>\n")
            texts.append(block)
        else:
            return None
    return "".join(html), " ".join(texts)


def render_markdown_with_text(text: str, *, allow_html: bool = False,
                              heading_offset: int = 0,
                              footnote_ids: str | None = None) -> tuple[str, str]:
    """Markdown -> (HTML, plain text), parsed once; the text serves descriptions.

    ``footnote_ids``: for notes, what makes their footnotes' ids unique (the paper's slug);
    None (an abstract, a title): ``[^1]`` is text."""
    if not text.strip():
        return "", ""
    if is_plain(text):
        return f"<p>{_escape(text)}</p>\n", text
    if "\n" in text:
        simple = _plain_blocks(text, heading_offset)
        if simple is not None:
            return simple
    return _parsed(text, allow_html, heading_offset, footnote_ids)


def _parser(allow_html: bool, footnotes: bool) -> MarkdownIt:
    if footnotes:
        return _NOTES_RAW if allow_html else _NOTES
    return _RAW if allow_html else _SAFE


def _parsed(text: str, allow_html: bool, heading_offset: int,
            footnote_ids: str | None = None) -> tuple[str, str]:
    """render_markdown_with_text by markdown-it, no shortcut."""
    md = _parser(allow_html, footnote_ids is not None)
    env: dict[str, Any] = {"heading_offset": heading_offset, "footnote_ids": footnote_ids}
    tokens = md.parse(text, env)
    html = md.renderer.render(tokens, md.options, env)
    parts: list[str] = []
    for token in tokens:
        if token.type == "inline":
            parts.append(_inline_text(token.children or []))
    return html, " ".join(p for p in parts if p)


def render_inline(text: str) -> str:
    """One line of Markdown (a title such as ``ReLU$^2$ Wins``) -> inline HTML, no <p>.

    Links are dropped (their text kept): a title is itself shown inside a link."""
    if is_plain(text):
        return _escape(text)
    tokens = _SAFE.parseInline(text, {})
    for token in tokens:
        token.children = [c for c in token.children or []
                          if c.type not in ("link_open", "link_close")]
    return _SAFE.renderer.render(tokens, _SAFE.options, {})


SUPERSCRIPTS = dict(zip("0123456789+-−=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱ", strict=True))
SUBSCRIPTS = dict(zip("0123456789+-−=()aeoxhklmnpst", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜ",
                      strict=True))


def _script_text(text: str, table: dict[str, str], mark: str) -> str:
    if text and all(c in table for c in text):
        return "".join(table[c] for c in text)
    return mark + (text if len(text) == 1 else f"({text})")


def _inline_text(children: Sequence[Token]) -> str:
    out: list[str] = []
    stack: list[tuple[str, list[str]]] = []
    for child in children:
        target = stack[-1][1] if stack else out
        if child.type in ("sup_open", "sub_open"):
            stack.append((child.type, []))
        elif child.type in ("sup_close", "sub_close") and stack:
            kind, parts = stack.pop()
            text = "".join(parts)
            converted = _script_text(text, SUPERSCRIPTS, "^") if kind == "sup_open" \
                else _script_text(text, SUBSCRIPTS, "_")
            (stack[-1][1] if stack else out).append(converted)
        elif child.type in ("text", "code_inline", "html_inline"):
            target.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            target.append(" ")
        elif child.type == "image":
            target.append(_inline_text(child.children or []))
    return "".join(out)


# LaTeX in running text, for the search index: an accent joins its letter (``na\\"ively``,
# ``Schr{\\"o}dinger``), a command's name is no word (``\\textbf``, ``\\times``), braces go.
_TEX_ACCENT = re.compile(r"""\\(["'`^~=.])\{?([A-Za-z])\}?""")
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+\*?")


# A footnote's reference or definition label as written, ``[^1]``, ``[^long-note]:``.
_FOOTNOTE_MARK = re.compile(r"\[\^[^\]\s]+\]:?")


def without_footnote_marks(text: str) -> str:
    """Notes' text without their footnote labels, which are not words of the notes (for
    the search index, and a card's snippet cut before a note's definition)."""
    return _FOOTNOTE_MARK.sub("", text) if "[^" in text else text


def tex_words(text: str) -> str:
    """Text with LaTeX -> text with the words it shows, without parsing it as Markdown
    (``plain_inline`` is exact but costs a parse: abstracts are long and many)."""
    if "\\" not in text:
        return text
    text = _TEX_ACCENT.sub(lambda found: _accent(found[2], ACCENTS[found[1]]), text)
    return _TEX_COMMAND.sub(" ", text).replace("{", "").replace("}", "")


def plain_inline(text: str) -> str:
    """A title as plain text for <title>, meta tags and feeds: ``ReLU$^2$`` -> ``ReLU²``."""
    if is_plain(text):
        return " ".join(text.split())
    tokens = _SAFE.parseInline(text, {})
    return " ".join(_inline_text(tokens[0].children or []).split()) if tokens else ""
