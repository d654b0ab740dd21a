"""Japanese -> English through the whole pipeline, as test_e2e_apertium.py
does English -> Spanish: real honyakud, real honyaku-worker processes, the
honyaku command, and two backends that can translate out of Japanese (no
Apertium pair does): the built-in pseudo profile and a DeepL profile
against hny-testserver (tests/testserver: it translates into any target).

usage: test_ja_en.py HONYAKUD HONYAKU TESTSERVER ARTICLES_DIR

The input folder holds the Akahata-style test pages of ARTICLES_DIR
(Shift_JIS and EUC-JP HTML, CP932 and Shift_JIS text) and two copies made
here in other encodings (the EUC-JP page as UTF-8, the CP932 text as
ISO-2022-JP), which must give the same article.

1. `honyaku batch DIR --from ja --to en --backend pseudo`: one record per
   file, each valid (hnyfix.validate_record), with exactly the Japanese
   metadata (title, date, section where the page shows one, charset,
   format, source) and exactly the expected sentences; every target is
   the pseudo-translation of its source; `honyaku prepare --from ja` on
   the same file gives the same sentences.
2. The same folder with `--backend deepl`: every target is hny-testserver's
   T(src, "EN-US") and the server saw no contract violation. A fresh
   daemon state is used:
   batch keys come from path and content alone, so the same folder
   through another backend on the same daemon is refused (409).
3. Bad Japanese input: UTF-8 cut in the middle of a character is 415 with
   the byte offset; --lenient gives a record with one U+FFFD, counted in
   metadata.replaced."""
import json
import os
import shutil
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, poll, read_jsonl, run, stop, validate_prepared, validate_record  # noqa: E402

KEY = "hny-ja-en-key"

WAGE_EUCJP = {
    "title": "最低賃金1500円へ 全国で宣伝行動", "date": "2021-03-06", "section": "経済",
    "format": "html",
    "segments": [
        "労働組合と市民 「地域の格差なくせ」",
        "全国労働組合総連合（全労連）や地域の労働組合は5日、最低賃金を全国一律で時給1500円に"
        "引き上げるよう求める宣伝行動を各地で行いました。",
        "東京・新宿駅前では、青年ユニオンのメンバーらがマイクを握りました。",
        "飲食店で働く女性は「時給が低く、二つの仕事を掛け持ちしても生活が苦しい」と訴えました。",
        "全労連の試算では、地方でも都市部でも、普通に暮らすには時給1500円以上が必要です。",
        "中小企業への支援とあわせて引き上げるべきだとの声が相次ぎました。",
    ],
}
TUITION_CP932 = {
    "title": "学費の負担軽減へ 署名10万人分を提出", "date": "2021-03-06", "section": "社会",
    "format": "text",
    "segments": [
        "大学生や高校生でつくる団体は5日、学費の負担軽減を求める署名10万8千人分を文部科学省に提出しました。",
        "提出後の集会では、アルバイトを掛け持ちしながら学ぶ学生が「授業料のために働いて、勉強する時間がない」"
        "と訴えました。",
        "団体は、授業料の半減と給付型奨学金の拡充を求めています。",
        "文科省の担当者は「要望は関係部局に伝える」と答えました。",
    ],
}

# What each file of the input folder must give: metadata and sentences.
EXPECTED = {
    "akahata-2011-04-19-editorial-sjis.html": {
        "title": "原発の再稼働 安全より利益優先は許されない", "date": "2011-04-19", "section": "主張",
        "charset": "Shift_JIS", "format": "html",
        "segments": [
            "東京電力福島第一原子力発電所の事故は、いまも収束の見通しが立っていません。",
            "避難を強いられた住民は、いつ故郷に戻れるのかも分からずにいます。",
            "それにもかかわらず、電力会社や経済界からは、停止中の原発を早く動かせという声が出ています。",
            "事故の原因も究明されないまま再稼働を急ぐことは、住民の安全より目先の利益を優先するものです。",
            "いま必要なのは、全国の原発の総点検と、自然エネルギーへの本格的な転換です。",
        ],
    },
    "akahata-2021-03-06-minimum-wage-eucjp.html": dict(WAGE_EUCJP, charset="EUC-JP"),
    "akahata-2021-03-06-minimum-wage-utf8.html": dict(WAGE_EUCJP, charset="UTF-8"),
    "akahata-2021-03-06-tuition-cp932.txt": dict(TUITION_CP932, charset="Shift_JIS"),
    "akahata-2021-03-06-tuition-iso2022jp.txt": dict(TUITION_CP932, charset="ISO-2022-JP"),
    "akahata-2021-06-09-minimum-wage-sjis.txt": {
        "title": "最低賃金の引き上げを求めて全国で行動", "date": "2021-06-09", "section": None,
        "charset": "Shift_JIS", "format": "text",
        "segments": [
            "労働組合や学生のグループは8日、東京の厚生労働省前で、最低賃金を全国一律で時給1500円に"
            "引き上げるよう求めました。",
            "参加した青年は「地方では賃金が低く、若者が地元に残れない」と話しました。",
            "中小企業への支援を合わせて行うべきだという声も上がりました。",
            "審議会は7月に新しい最低賃金について議論します。",
        ],
    },
}

_PSEUDO_LOWER = "àƀçďêƒĝĥîĵķľɱñöþǫŕŝţûṽŵẋýž"
_PSEUDO_UPPER = "ÀƁÇĎÊƑĜĤÎĴĶĽṀÑÖÞǪŔŠŦÛṼŴẊÝŽ"


def pseudo(text):
    """The pseudo backend's translation (workers/hny_be_pseudo.c)."""
    out = []
    for c in text:
        if "a" <= c <= "z":
            c = _PSEUDO_LOWER[ord(c) - ord("a")]
        elif "A" <= c <= "Z":
            c = _PSEUDO_UPPER[ord(c) - ord("A")]
        out.append(c)
    return "⟦ÞŠËÛÐÖ: " + "".join(out) + "⟧"


def xlate(text, target):
    """hny-testserver's translation function (tests/testserver/README.md)."""
    return "【" + target.lower() + "】" + "".join(
        chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in text)


def make_input(fx, articles):
    """The input folder: the test pages as they are, plus the UTF-8 and
    ISO-2022-JP copies. Returns its path."""
    src = fx.path("in")
    os.makedirs(src)
    for name in EXPECTED:
        if os.path.exists(os.path.join(articles, name)):
            shutil.copyfile(os.path.join(articles, name), os.path.join(src, name))
    with open(os.path.join(articles, "akahata-2021-03-06-minimum-wage-eucjp.html"), "rb") as f:
        page = f.read().decode("euc_jp").replace("charset=EUC-JP", "charset=UTF-8")
    assert "charset=UTF-8" in page
    with open(os.path.join(src, "akahata-2021-03-06-minimum-wage-utf8.html"), "wb") as f:
        f.write(page.encode("utf-8"))
    with open(os.path.join(articles, "akahata-2021-03-06-tuition-cp932.txt"), "rb") as f:
        text = f.read().decode("cp932")
    with open(os.path.join(src, "akahata-2021-03-06-tuition-iso2022jp.txt"), "wb") as f:
        f.write(text.encode("iso2022_jp"))
    assert sorted(os.listdir(src)) == sorted(EXPECTED), os.listdir(src)
    return src


def sources(rec):
    return [s["src"] for p in rec["paragraphs"] for s in p["segments"]]


def check_record(rec, backend, translate):
    """One record of a ja -> en batch against EXPECTED, exactly."""
    validate_record(rec)
    md = rec["metadata"]
    want = EXPECTED[md.get("source")]
    what = md["source"]
    assert rec["source_lang"] == "ja" and rec["target_lang"] == "en", (what, rec["source_lang"])
    assert rec["backend"] == backend, (what, rec["backend"])
    assert not rec["errors"], (what, rec["errors"])
    for field in ("title", "date", "section", "charset", "format"):
        assert md.get(field) == want[field], (what, field, md.get(field), want[field])
    assert md["replaced"] == 0, (what, md)
    assert rec["title"]["src"] == want["title"], (what, rec["title"])
    assert sources(rec) == want["segments"], (what, sources(rec))
    pairs = [rec["title"]] + [s for p in rec["paragraphs"] for s in p["segments"]]
    for pr in pairs:
        assert pr["tgt"] == translate(pr["src"]), (what, pr)


def batch(honyaku, env, src, out, backend, check):
    _, _, err = run([honyaku, "batch", src, "--from", "ja", "--to", "en", "--backend", backend,
                     "--out", out], env=env, timeout=120)
    recs = read_jsonl(os.path.join(out, "records.jsonl"))     # validates every record
    assert [r["metadata"]["source"] for r in recs] == sorted(EXPECTED), \
        [r["metadata"].get("source") for r in recs]
    for r in recs:
        check(r)
    with open(os.path.join(out, "errors.txt")) as f:
        assert f.read() == "", "errors.txt is not empty"
    return recs


def server_stats(url):
    with urllib.request.urlopen(url + "/_stats", timeout=10) as r:
        return json.loads(r.read())


def main(honyakud, honyaku, testserver, articles):
    with Fixture("hnyjaen") as fx:
        _, port = fx.start_testserver(testserver, "--key", KEY)
        url = "http://127.0.0.1:%d" % port
        conf = "[daemon]\ndefault_backend = pseudo\n\n[backend.deepl]\ntype = deepl\nurl = %s\n" \
               "key_env = HNY_TS_KEY\n" % url

        def start():
            """honyakud with a fresh state, answering STATUS; returns the env."""
            shutil.rmtree(fx.path("state"), ignore_errors=True)
            front = fx.start_daemon(honyakud, workers=2, env=dict(os.environ, HNY_TS_KEY=KEY),
                                    config_text=conf)
            env = dict(os.environ, HONYAKU_ENDPOINT=front)

            def up():
                if fx.daemon.poll() is not None:
                    raise AssertionError("honyakud exited with %d" % fx.daemon.returncode)
                return run([honyaku, "status"], env=env, check=False)[0] == 0
            poll("honyakud to answer STATUS", up, timeout=20)
            return env
        try:
            env = start()
            src = make_input(fx, articles)

            # 1. pseudo, and the same sentences from the dry run
            recs = batch(honyaku, env, src, fx.path("out-pseudo"), "pseudo",
                         lambda r: check_record(r, "pseudo", pseudo))
            for name in sorted(EXPECTED):
                _, out, _ = run([honyaku, "prepare", "--from", "ja", os.path.join(src, name)])
                art = validate_prepared(json.loads(out), name)
                assert [s["src"] for p in art["paragraphs"] for s in p["segments"]] == \
                    EXPECTED[name]["segments"], name
            print("pseudo: %d records, %d segments" % (len(recs), sum(len(sources(r)) for r in recs)))

            # 2. DeepL's API on hny-testserver, on a fresh daemon
            assert stop(fx.daemon) == 0, "honyakud did not exit cleanly"
            env = start()
            recs = batch(honyaku, env, src, fx.path("out-deepl"), "deepl",
                         lambda r: check_record(r, "deepl", lambda s: xlate(s, "EN-US")))
            st = server_stats(url)
            assert not st["violations"], st["violations"]
            assert st["per_api"]["deepl"]["texts"] > 0, st
            print("deepl: %d records, %d texts sent in %d requests"
                  % (len(recs), st["per_api"]["deepl"]["texts"], st["per_api"]["deepl"]["requests"]))

            # 3. bad Japanese input
            cut = "原発の再稼働\n\n２０２１年６月９日\n\n事故の".encode("utf-8") + "原".encode("utf-8")[:2] \
                + "因は究明されていません。住民は戻れずにいます。\n".encode("utf-8")
            offset = len("原発の再稼働\n\n２０２１年６月９日\n\n事故の".encode("utf-8"))
            bad = os.path.join(fx.path(), "cut-utf8.txt")
            with open(bad, "wb") as f:
                f.write(cut)
            code, _, err = run([honyaku, "submit", bad, "--from", "ja", "--to", "en", "--wait"],
                               env=env, check=False, timeout=60)
            assert code != 0 and "byte offset %d" % offset in err, (code, err)
            _, out, _ = run([honyaku, "submit", bad, "--from", "ja", "--to", "en", "--lenient",
                             "--wait"], env=env, timeout=60)
            job = out.split("\t")[0]
            _, out, _ = run([honyaku, "fetch", job], env=env)
            rec = validate_record(json.loads(out))
            assert rec["metadata"]["replaced"] == 1 and rec["metadata"]["charset"] == "UTF-8", rec["metadata"]
            assert any("\ufffd" in s for s in sources(rec)), sources(rec)
            print("bad input: %s" % err.strip().splitlines()[-1])
        except BaseException:
            sys.stderr.write("---- honyakud.log ----\n" + fx.log("honyakud.log")[-6000:] + "\n")
            sys.stderr.write("---- testserver.log ----\n" + fx.log("testserver.log")[-3000:] + "\n")
            raise
    print("ok")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__)
        sys.exit(2)
    main(*sys.argv[1:5])
