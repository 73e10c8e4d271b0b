"""Hunk -> symbol mapping: exact with the pre-image, and from the hunk alone.

tests/fixtures/iowq-shaped.c states its own line numbers in comments."""

from __future__ import annotations

from triage.diff import csource
from triage.diff.hunks import parse_diff
from triage.diff.symbols import apply_hunks, map_file, map_hunk

from .conftest import fixture_path

SOURCE = fixture_path("iowq-shaped.c").read_text()


def _diff(body: str):
    (f,) = parse_diff("--- a/io_uring/io-wq.c\n+++ b/io_uring/io-wq.c\n" + body)
    return f


def _summary(changes):
    return [(c.hunk_index, c.kind, c.symbol, list(c.how), c.evidence) for c in changes]


def test_definitions_have_exact_line_ranges():
    defs = [(d.kind, d.name, d.start, d.end) for d in csource.definitions(SOURCE)]
    assert defs == [
        ("macro", "EXAMPLE_IDLE_TIMEOUT", 5, 5),
        ("enum", "enum EXAMPLE_F_*", 7, 11),
        ("struct", "struct example_worker", 13, 18),
        ("prototype", "example_create_cb", 20, 20),
        ("function", "example_free_worker", 22, 25),
        ("function", "example_create_cb", 27, 44),
    ]


# A patch over iowq-shaped.c touching a member, an enumerator, a new label,
# a signature, and adding a function. Hints are deliberately git-like:
# the enum hunk's hint names the line before it, which is not the enum.
PATCH = """\
@@ -6,7 +6,7 @@ #define EXAMPLE_IDLE_TIMEOUT	(5 * HZ)
 
 enum {                                                       /* line 7  */
 	EXAMPLE_F_UP		= 1,
-	EXAMPLE_F_RUNNING	= 2,
+	EXAMPLE_F_RUNNING	= 8,
 	EXAMPLE_F_FREE		= 4,
 };                                                           /* line 11 */
 
@@ -13,7 +13,7 @@ enum {
 struct example_worker {                                      /* line 13 */
 	refcount_t ref;
+	int create_index;
 	unsigned flags;
 	struct list_head all_list;
-	int create_index;
 };                                                           /* line 18 */
 
@@ -22,8 +22,13 @@ static void example_create_cb(struct callback_head *cb);
 static bool example_free_worker(struct example_acct *acct)   /* line 22 */
 {
 	return !hlist_nulls_empty(&acct->free_list);
 }                                                            /* line 25 */
 
+static bool example_busy(struct example_worker *worker)
+{
+	return worker->flags & EXAMPLE_F_RUNNING;
+}
+
 static void example_create_cb(struct callback_head *cb)     /* line 27 */
 {
 	struct example_worker *worker;
@@ -38,7 +43,8 @@ static void example_create_cb(struct callback_head *cb)
 	raw_spin_unlock(&acct->workers_lock);
 	if (do_create) {
 		example_fork(worker);
 	} else {
+done:
 		atomic_dec(&acct->nr_running);
 	}
 }                                                            /* line 44 */
"""


def test_whole_file_mapping_with_pre_image():
    diff = _diff(PATCH)
    assert _summary(map_file(diff, SOURCE)) == [
        (0, "enum", "enum EXAMPLE_F_*", ["enumerator value changed: EXAMPLE_F_RUNNING (2 -> 8)"], "pre-image"),
        (0, "enumerator", "EXAMPLE_F_RUNNING", ["value changed (2 -> 8)"], "pre-image"),
        (1, "struct", "struct example_worker", ["members reordered: create_index, flags, all_list"], "pre-image"),
        (2, "function", "example_busy", ["symbol added"], "pre-image"),
        (3, "function", "example_create_cb", ["label added: done"], "pre-image"),
    ]


def test_fragment_mapping_agrees_without_the_file():
    diff = _diff(PATCH)
    got = [c for i, h in enumerate(diff.hunks) for c in map_hunk(diff.path, i, h, True)]
    assert _summary(got) == [
        (0, "enum", "enum EXAMPLE_F_*", ["enumerator value changed: EXAMPLE_F_RUNNING (2 -> 8)"], "hunk"),
        (0, "enumerator", "EXAMPLE_F_RUNNING", ["value changed (2 -> 8)"], "hunk"),
        (1, "struct", "struct example_worker", ["member moved: create_index"], "hunk"),
        (2, "function", "example_busy", ["symbol added"], "hunk"),
        (3, "function", "example_create_cb", ["label added: done"], "hint"),
    ]
    # git's hint named the line before each construct: it is checked, not trusted
    assert [c.hint_agrees for c in got] == [False, None, False, False, None]


def test_post_image_is_the_patched_file():
    new = apply_hunks(SOURCE, _diff(PATCH))
    assert "static bool example_busy(struct example_worker *worker)" in new
    assert new.count("int create_index;") == 1
    assert len(new.split("\n")) == len(SOURCE.split("\n")) + 6


def test_signature_change_and_member_retype():
    diff = _diff("""\
@@ -13,5 +13,5 @@
 struct example_worker {                                      /* line 13 */
 	refcount_t ref;
-	unsigned flags;
+	unsigned long flags;
 	struct list_head all_list;
 	int create_index;
@@ -22,4 +22,4 @@ struct example_worker {
-static bool example_free_worker(struct example_acct *acct)   /* line 22 */
+static bool example_free_worker(const struct example_acct *acct)
 {
 	return !hlist_nulls_empty(&acct->free_list);
 }                                                            /* line 25 */
""")
    assert _summary(map_file(diff, SOURCE)) == [
        (0, "struct", "struct example_worker", ["member retyped: flags (unsigned -> unsigned long)"], "pre-image"),
        (1, "function", "example_free_worker", ["signature changed"], "pre-image"),
    ]
    fragment = [c for i, h in enumerate(diff.hunks) for c in map_hunk(diff.path, i, h, True)]
    assert _summary(fragment) == [
        (0, "struct", "struct example_worker", ["member retyped: flags (unsigned -> unsigned long)"], "hunk"),
        (1, "function", "example_free_worker", ["signature changed"], "hunk"),
    ]


def test_hunk_after_a_function_end_is_file_scope():
    diff = _diff("""\
@@ -18,4 +18,5 @@ struct example_worker {
 };                                                           /* line 18 */
 
+#include <linux/extra.h>
 static void example_create_cb(struct callback_head *cb);    /* line 20 */
 
""")
    (change,) = map_hunk(diff.path, 0, diff.hunks[0], True)
    assert (change.kind, change.symbol, change.evidence) == ("file-scope", "(file scope)", "hunk")
    assert change.hint_agrees is False


def test_label_hint_is_not_taken_for_a_symbol():
    diff = _diff("""\
@@ -10,2 +10,3 @@ out:
 	a();
+	b();
 	c();
""")
    (change,) = map_hunk(diff.path, 0, diff.hunks[0], True)
    assert (change.kind, change.evidence) == ("unknown", "none")


def test_indented_local_initialiser_is_not_a_global():
    diff = _diff("""\
@@ -30,3 +30,6 @@ static void example_create_cb(struct callback_head *cb)
 	bool do_create = false;
+	struct example_match match = {
+		.fn = example_fn,
+	};
 
 	worker = container_of(cb, struct example_worker, create_work);
""")
    (change,) = map_hunk(diff.path, 0, diff.hunks[0], True)
    assert (change.kind, change.symbol, change.how) == ("function", "example_create_cb", ("body changed",))


def test_source_that_does_not_match_falls_back_with_a_note():
    from triage.analysis import analyze_message
    from triage.ingest import read_path

    (message,) = read_path(fixture_path("plain.diff")).messages
    analysis = analyze_message(message, ("io-wq.c", "int unrelated;\n"))
    assert analysis.source_used is None
    assert "does not match the source" in analysis.notes[0]
    assert all(c.evidence != "pre-image" for c in analysis.symbols)
