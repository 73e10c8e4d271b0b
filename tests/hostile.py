"""A deterministic corpus of hostile inputs, generated here (nothing read
from elsewhere): each a (name, bytes) pair, named by the class of attack it
belongs to. Used by tests/test_hostile.py (exit codes, inert HTML, files
kept inside the output folder) and tests/bench/bench_hostile.py (wall time
and peak memory of each input through each command in its own process).

Sizes are those of the inputs that once crashed or hung the tool; keep them
when adding cases, a smaller copy proves nothing."""

from __future__ import annotations

import base64

PATCH = """\
diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c
index 1111111..2222222 100644
--- a/io_uring/io-wq.c
+++ b/io_uring/io-wq.c
@@ -10,3 +10,3 @@ static void io_worker_exit(struct io_worker *worker)
 	a;
-	b;
+	c;
 	d;
"""

HEAD = ("From: A Author <a@example.org>\nTo: io-uring@vger.kernel.org\n"
        "Date: Mon, 2 Feb 2026 10:00:00 +0000\nMessage-ID: <{mid}@example.org>\n"
        "Subject: [PATCH] io-wq: {title}\n")
SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"


def _mail(title: str = "fix", body: str = "", diff: str = PATCH, mid: str = "h", extra: str = "") -> str:
    return (HEAD.format(mid=mid, title=title) + extra + "\n" + (body or "Fix it.\n\n")
            + "Signed-off-by: A Author <a@example.org>\n---\n" + diff)


def _flattened(changed: int, width: int = 8) -> str:
    """A diff whose line breaks a web archive ate: every line joined by
    spaces into one paragraph (lore's plain-text renderers do this)."""
    lines = ["diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c", "--- a/io_uring/io-wq.c",
             "+++ b/io_uring/io-wq.c", f"@@ -1,{changed + 2} +1,{changed + 2} @@", " int a;"]
    lines += [f"-\tx{i} = {'y' * width};" if i % 2 else f"+\tx{i} = {'z' * width};" for i in range(changed)]
    lines += [" int b;"]
    return " ".join(lines) + "\n"


def _nested_mime(depth: int) -> str:
    out = [HEAD.format(mid="mime", title="deep mime"), "MIME-Version: 1.0\n"]
    for i in range(depth):
        out.append(f"Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n")
    out.append("Content-Type: text/plain\n\n" + PATCH)
    for i in reversed(range(depth)):
        out.append(f"\n--b{i}--\n")
    return "".join(out)


def _struct(body: str) -> str:
    return PATCH + (
        "diff --git a/io_uring/io-wq.h b/io_uring/io-wq.h\n--- a/io_uring/io-wq.h\n+++ b/io_uring/io-wq.h\n"
        "@@ -1,2 +1,4 @@\n struct io_wq_acct {\n+" + body + "\n+\tint added;\n };\n")


def _hunks(count: int) -> str:
    head = "diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c\n--- a/io_uring/io-wq.c\n+++ b/io_uring/io-wq.c\n"
    return head + "".join(f"@@ -{i * 10 + 1},1 +{i * 10 + 1},1 @@\n-a{i}\n+b{i}\n" for i in range(count))


def _files(count: int) -> str:
    return "".join(f"diff --git a/f{i}.c b/f{i}.c\n--- a/f{i}.c\n+++ b/f{i}.c\n@@ -1 +1 @@\n-a\n+b\n"
                   for i in range(count))


def _mbox(count: int, patches: bool) -> str:
    out = []
    for i in range(count):
        mail = _mail(title=f"change {i}", mid=f"m{i}") if patches else (
            HEAD.format(mid=f"r{i}", title=f"talk {i}").replace("[PATCH]", "Re: [PATCH]")
            + f"In-Reply-To: <m{max(i - 1, 0)}@example.org>\n\nI think {i}.\n")
        out.append(f"From sender@example.org Mon Feb  2 10:00:00 2026\n{mail}\n")
    return "".join(out)


def _reply_chain(depth: int) -> str:
    out = [f"From s Mon Feb  2 10:00:00 2026\n{_mail(mid='c0')}\n"]
    for i in range(1, depth):
        out.append("From s Mon Feb  2 10:00:00 2026\n" + HEAD.format(mid=f"c{i}", title="fix").replace(
            "[PATCH]", "Re: [PATCH]") + f"In-Reply-To: <c{i - 1}@example.org>\n"
            f"References: " + " ".join(f"<c{j}@example.org>" for j in range(max(0, i - 20), i))
            + f"\n\nOn Mon, X wrote:\n> reply {i - 1}\n\nreply {i}\n\n")
    return "".join(out)


def _quote_levels(levels: int) -> str:
    quoted = "".join("> " * n + f"level {n}\n" for n in range(levels))
    diff = "".join("> " * 3 + line + "\n" for line in PATCH.splitlines())
    return HEAD.format(mid="q", title="fix").replace("[PATCH]", "Re: [PATCH]") + "\n" + quoted + diff + "\nok\n"


def cases() -> list[tuple[str, bytes]]:
    big = 5000
    digits = "9" * big
    c: list[tuple[str, str | bytes]] = [
        # -- recursion and unbounded search
        ("flattened-10-lines", _mail(diff=_flattened(10))),
        ("flattened-100-lines", _mail(diff=_flattened(100))),
        ("flattened-1000-lines", _mail(diff=_flattened(1000))),
        ("flattened-5mb-line", _mail(diff=_flattened(2, width=5_000_000))),
        ("mime-1000-deep", _nested_mime(1000)),
        ("c-nesting-1000-struct", _mail(diff=_struct("\tstruct {" * 1000 + "int x;" + "} y;" * 1000))),
        ("c-nesting-1000-hunk", _mail(diff=PATCH.replace("+\tc;", "+\t" + "{" * 1000 + "c;" + "}" * 1000))),
        ("c-parens-1000-hunk", _mail(diff=PATCH.replace("+\tc;", "+\tc = " + "(" * 1000 + "1" + ")" * 1000 + ";"))),
        ("macro-1mb", _mail(diff=PATCH.replace("+\tc;", "+#define BIG " + "x + " * 250_000 + "1"))),
        # -- numbers too long for int()
        ("digits-hunk-header", _mail(diff=PATCH.replace("@@ -10,3 +10,3 @@", f"@@ -{digits},3 +{digits},3 @@"))),
        ("digits-hunk-count", _mail(diff=PATCH.replace("@@ -10,3 +10,3 @@", f"@@ -10,{digits} +10,{digits} @@"))),
        ("digits-subject-version", _mail().replace("[PATCH]", f"[PATCH v{digits} {digits}/{digits}]")),
        ("digits-flattened-count", _mail(diff=_flattened(4).replace("@@ -1,6 +1,6 @@", f"@@ -1,{digits} +1,{digits} @@"))),
        ("digits-date", _mail().replace("Mon, 2 Feb 2026", f"Mon, {digits} Feb {digits}")),
        ("digits-array-size", _mail(diff=_struct(f"\tchar a[{digits}];"))),
        # -- charsets and encodings
        *[(f"charset-{cs}", HEAD.format(mid=cs, title="fix") + f"Content-Type: text/plain; charset={cs}\n\n"
           + "Fix \xe9.\n---\n" + PATCH) for cs in ("undefined", "idna", "punycode", "rot13", "base64",
                                                   "zlib", "hex", "uu", "x-nonsense", "")],
        ("charset-lying-utf8-is-latin1", (HEAD.format(mid="lie", title="fix") + "Content-Type: text/plain; charset=utf-8\n\n"
                                          ).encode() + "Fix \xe9\xff.\n---\n".encode("latin-1") + PATCH.encode()),
        ("charset-lying-ascii-is-utf8", (HEAD.format(mid="lie2", title="fix") + "Content-Type: text/plain; charset=us-ascii\n\n"
                                         + "Grüße\n---\n" + PATCH).encode()),
        ("encoded-word-bad-charset", _mail(title="=?idna?q?=FF=FE?= =?undefined?b?////?= =?x?q?a?=")),
        ("rfc2231-nul", HEAD.format(mid="nul2231", title="fix") + "MIME-Version: 1.0\n"
         "Content-Type: multipart/mixed; boundary*=utf-8''b%00x\n\n--b\x00x\n\n" + PATCH + "\n--b\x00x--\n"),
        ("rfc2231-nul-filename", HEAD.format(mid="nulf", title="fix") + "MIME-Version: 1.0\n"
         "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/x-patch; name*=utf-8''a%00b.patch\n"
         "Content-Disposition: attachment; filename*=utf-8''..%2F..%2Fetc%00passwd\n\n" + PATCH + "\n--b--\n"),
        ("base64-garbage", HEAD.format(mid="b64", title="fix") + "Content-Transfer-Encoding: base64\n\n!!!!\x00====\n"),
        ("base64-patch", HEAD.format(mid="b64ok", title="fix") + "Content-Transfer-Encoding: base64\n\n"
         + base64.encodebytes(("Fix.\n---\n" + PATCH).encode()).decode()),
        ("qp-soft-breaks", HEAD.format(mid="qp", title="fix") + "Content-Transfer-Encoding: quoted-printable\n\n"
         + "Fix=\n.\n---\n" + PATCH.replace("\t", "=09").replace("c;", "c=3D=\n1;")),
        # -- dates
        ("date-offset-9999", _mail().replace("+0000", "+9999")),
        ("date-offset-minus-9999", _mail().replace("+0000", "-9959")),
        ("date-year-0", _mail().replace("2026", "0000")),
        ("date-year-99999", _mail().replace("2026", "99999")),
        ("date-garbage", _mail().replace("Mon, 2 Feb 2026 10:00:00 +0000", "\x00\x01 yesterday-ish ++++")),
        # -- array sizes and C expressions in struct text
        *[(f"array-{n}", _mail(diff=_struct(f"\tchar a[{expr}];")))
          for n, expr in (("name", "x"), ("empty-parens", "()"), ("pow", "9**9**9"), ("shift", "1 << 99999"),
                          ("div0", "1 / 0"), ("neg", "-1"), ("huge", "0xffffffffffffffffffff"),
                          ("sizeof-self", "sizeof(struct io_wq_acct)"), ("call", "__import__('os')"))],
        ("bitfield-huge", _mail(diff=_struct("\tunsigned int a : 99999999999999999999;"))),
        ("enum-10000", _mail(diff=_struct("\tenum { " + ", ".join(f"E{i} = E{i - 1} + 1" if i else "E0"
                                                                   for i in range(10_000)) + " } e;"))),
        ("define-chain", _mail(diff=PATCH.replace("+\tc;", "\n".join(f"+#define D{i} D{i + 1}" for i in range(500))
                                                  + "\n+#define D500 D0\n+\tchar a[D0];"))),
        # -- sizes
        ("mail-50000-lines", _mail(body="".join(f"Line {i} of prose.\n" for i in range(50_000)) + "\n")),
        ("prose-50000-lines-no-diff", HEAD.format(mid="prose", title="talk") + "\n"
         + "".join(f"Line {i} of prose about io_wq_worker_sleeping().\n" for i in range(50_000))),
        ("diff-10000-hunks", _mail(diff=_hunks(10_000))),
        ("diff-5000-files", _mail(diff=_files(5000))),
        ("line-5mb", _mail(body="x" * 5_000_000 + "\n\n")),
        ("header-1mb", _mail(extra="X-Long: " + "a" * 1_000_000 + "\n")),
        ("subject-100kb", _mail(title="w " * 50_000)),
        ("mbox-5000-patches", _mbox(5000, True)),
        ("mbox-5000-replies", _mbox(5000, False)),
        ("reply-chain-500", _reply_chain(500)),
        ("quote-levels-200", _quote_levels(200)),
        ("trailers-10000", _mail(body="Fix.\n\n" + "".join(f"Reviewed-by: R{i} <r{i}@example.org>\n"
                                                           for i in range(10_000)))),
        ("fixes-10000-lines", _mail(body="Fix.\n\nFixes: 1234567890ab (\"" + "x\n" * 10_000 + "\")\n")),
        # -- bytes
        ("nul-bytes", _mail().encode().replace(b"Fix it", b"Fix\x00it").replace(b"\ta;", b"\ta\x00;")),
        ("nul-only", b"\x00" * 10_000),
        ("random-binary", bytes((i * 7919 + 13) % 256 for i in range(200_000))),
        ("cr-only-line-ends", _mail().replace("\n", "\r")),
        ("crlf-line-ends", _mail().replace("\n", "\r\n")),
        ("mixed-line-ends", "".join(line + ("\r\n", "\n", "\r")[i % 3] for i, line in enumerate(_mail().split("\n")))),
        ("utf16-bom", "\ufeff".encode("utf-16-le") + _mail().encode("utf-16-le")),
        ("utf8-bom", b"\xef\xbb\xbf" + _mail().encode()),
        ("invalid-utf8", _mail().encode().replace(b"Fix it", b"Fix \xc3\x28 \xa0\xa1 \xf0\x28\x8c\x28")),
        ("empty", b""),
        ("only-newlines", b"\n" * 100_000),
        # -- markup and script everywhere
        ("html-in-every-header", HEAD.format(mid=SCRIPT, title=SCRIPT).replace("A Author", SCRIPT)
         .replace("a@example.org", f"\"{SCRIPT}\"@example.org") + f"In-Reply-To: <{SCRIPT}>\nX-Mailer: {SCRIPT}\n\n"
         + f"{SCRIPT}\n\nFixes: 1234567890ab (\"{SCRIPT}\")\nLink: javascript:alert(1)\nCloses: {SCRIPT}\n"
         f"Reviewed-by: {SCRIPT} <{SCRIPT}>\nCc: stable@vger.kernel.org # {SCRIPT}\n---\n"
         + PATCH.replace("io_worker_exit", SCRIPT).replace("+\tc;", f"+\t{SCRIPT};")),
        ("html-in-paths", _mail(diff=PATCH.replace("io_uring/io-wq.c", f"io_uring/{SCRIPT}.c"))),
        ("html-encoded-word", _mail(title="=?utf-8?b?" + base64.b64encode(SCRIPT.encode()).decode() + "?=")),
        ("css-and-svg", _mail(body="<style>*{display:none}</style><svg onload=alert(1)></svg>\n"
                                   "<a href=\"javascript:alert(1)\">x</a> </textarea></pre></details>-->\n\n")),
        # -- identifiers
        ("msgid-dotdot", _mail(mid="../../../../etc/passwd")),
        ("msgid-10kb", _mail(mid="a" * 10_000)),
        ("msgid-option-like", _mail(mid="--force -o /tmp/x")),
        ("msgid-shell-like", _mail(mid="$(touch /tmp/pwned)`id`;rm -rf ~")),
        ("msgid-slashes-nul", _mail(mid="a/b\\c\x00d")),
        ("in-reply-to-loop", HEAD.format(mid="l1", title="fix") + "In-Reply-To: <l1@example.org>\n"
         "References: <l1@example.org> <l1@example.org>\n\nFix.\n---\n" + PATCH),
        ("subject-path-like", _mail(title="../../../index")),
        ("subject-only-punctuation", _mail(title="!!!///\\\\...")),
        ("fixes-option-like-sha", _mail(body="Fix.\n\nFixes: --output=/tmp/x (\"a\")\nFixes: -n1 (\"b\")\n"
                                             "commit --all upstream.\n\n")),
        ("fixes-shell-like-sha", _mail(body="Fix.\n\nFixes: $(id) (\"a\")\nFixes: ;rm -rf ~ (\"b\")\n")),
        # -- diff shapes
        ("diff-binary", _mail(diff="diff --git a/a.bin b/a.bin\nindex 1..2 100644\nGIT binary patch\n"
                                   "literal 4\nLcmZ?wbY%bo0Pp|<\n\nliteral 0\nKcmV+b0RR6000031\n\n")),
        ("diff-binary-differ", _mail(diff="diff --git a/a.bin b/a.bin\nBinary files a/a.bin and b/a.bin differ\n")),
        ("diff-rename-only", _mail(diff="diff --git a/io_uring/io-wq.c b/io_uring/io_wq.c\nsimilarity index 100%\n"
                                        "rename from io_uring/io-wq.c\nrename to io_uring/io_wq.c\n")),
        ("diff-mode-only", _mail(diff="diff --git a/io_uring/io-wq.c b/io_uring/io-wq.c\nold mode 100644\nnew mode 100755\n")),
        ("diff-new-and-deleted", _mail(diff="diff --git a/n.c b/n.c\nnew file mode 100644\n--- /dev/null\n+++ b/n.c\n"
                                            "@@ -0,0 +1 @@\n+x\ndiff --git a/d.c b/d.c\ndeleted file mode 100644\n"
                                            "--- a/d.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n")),
        ("diff-unicode-spaces-paths", _mail(diff=PATCH.replace("io_uring/io-wq.c", "io uring/ïo-wq ✓.c"))),
        ("diff-quoted-paths", _mail(diff=PATCH.replace("a/io_uring/io-wq.c", "\"a/io\\turing/\\303\\251.c\"")
                                    .replace("b/io_uring/io-wq.c", "\"b/io\\turing/\\303\\251.c\""))),
        ("diff-dotdot-paths", _mail(diff=PATCH.replace("io_uring/io-wq.c", "../../../etc/passwd"))),
        ("diff-truncated", _mail(diff=PATCH[: PATCH.index(" \td;")].replace("-10,3 +10,3", "-10,30 +10,30"))),
        ("diff-counts-lie-short", _mail(diff=PATCH.replace("-10,3 +10,3", "-10,1 +10,1"))),
        ("diff-counts-zero", _mail(diff=PATCH.replace("-10,3 +10,3", "-0,0 +0,0"))),
        ("diff-header-only", _mail(diff="diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n")),
        ("diff-hunk-without-files", _mail(diff="@@ -1 +1 @@\n-a\n+b\n")),
        ("diff-combined", _mail(diff="diff --cc io_uring/io-wq.c\nindex 1,2..3\n--- a/io_uring/io-wq.c\n"
                                     "+++ b/io_uring/io-wq.c\n@@@ -1,1 -1,1 +1,1 @@@\n- a\n -b\n++c\n")),
        ("diff-1000-files-same-name", _mail(diff=PATCH * 1000)),
        ("diff-long-hunk-line", _mail(diff=PATCH.replace("+\tc;", "+\t" + "c" * 2_000_000 + ";"))),
        ("diff-no-newline-marker-storm", _mail(diff=PATCH.replace(" \td;\n", " \td;\n" + "\\ No newline at end of file\n" * 10_000))),
        # -- git show / format-patch shapes
        ("gitshow-bad-sha", "commit " + "g" * 40 + "\nAuthor: A <a@example.org>\nDate:   Mon Feb 2 10:00:00 2026 +0000\n\n"
         "    io-wq: fix\n\n" + PATCH),
        ("gitshow-long-sha", "commit " + "a" * 5000 + "\nAuthor: A <a@example.org>\n\n    x\n\n" + PATCH),
        ("format-patch-from-line-lies", "From " + "0" * 40 + " Mon Sep 17 00:00:00 2001\n" + _mail()),
        ("mbox-from-escapes", "From x Mon Feb  2 10:00:00 2026\n" + _mail().replace("Fix it.", ">From here\n>>From there")
         + "\nFrom x Mon Feb  2 10:00:00 2026\n" + _mail(mid="two")),
        ("mbox-only-separators", "From x Mon Feb  2 10:00:00 2026\n" * 10_000),
        # -- web-archive text
        ("webtext-html", "<html><body><pre>" + _mail() + "</pre><script>alert(1)</script></body></html>"),
        ("webtext-obfuscated", _mail().replace("a@example.org", "a@...mple.org") + "\n[not found] \n"),
        # -- quoting
        ("quote-200-with-attribution", "".join(f"On day {n}, P{n} <p{n}@x.org> wrote:\n" + "> " * n + "x\n"
                                               for n in range(200)) + _mail()),
        ("quoted-diff-unterminated", HEAD.format(mid="qd", title="fix").replace("[PATCH]", "Re: [PATCH]") + "\n"
         + "".join("> " + line + "\n" for line in PATCH.splitlines()) + "> @@ -1,99 +1,99 @@\n> +x\n"),
        ("trailer-person-html", _mail(body="Fix.\n\nReported-by: <script>@x\nTested-by: \"a\" <b> <c> <d>\n")),
    ]
    return [(name, data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")) for name, data in c]


def write_cases(folder) -> list[tuple[str, "object"]]:
    """Write every case to folder/<name>.eml; return (name, path) pairs."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, data in cases():
        path = folder / f"{name}.eml"
        path.write_bytes(data)
        out.append((name, path))
    return out
