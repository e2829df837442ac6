#!/usr/bin/env python3
"""Reference figures for the shared real-world corpus (../shared/corpus).

Independent oracle for opsbook acceptance tests: this script deliberately
re-implements everything in plain Python (stdlib + PyYAML + markdown-it-py,
a CommonMark parser: `pip install PyYAML markdown-it-py==4.3.0`) and shares
no code or parser with the Rust crates.

Usage:
    python3 scripts/corpus-figures.py [--corpus DIR] [--json-out PATH] [--quiet]

Prints a JSON object of figures on stdout, followed by a short human
explanation (on stderr, unless --quiet), and optionally writes the JSON to
--json-out.

Rules (also recorded under "rules" in the JSON):

Markdown headings (all three Markdown corpora)
  * A leading front-matter block is skipped: first line exactly `---` (or
    `+++`), closed by the next line that is exactly `---`/`...` (`+++`).
    Trailing whitespace on the delimiter lines is ignored.
  * Only ATX headings count: up to 3 spaces of indent, 1-6 `#`, then a space /
    tab or end of line. Heading text = the rest, with an optional closing
    sequence of `#` removed, trimmed. Inline markup (backticks, ...) is kept
    verbatim. Setext headings: none occur in this corpus (checked).
  * Fenced code blocks are skipped, CommonMark style: an opening fence is
    3+ backticks or 3+ tildes (after any indentation and any `>` quote
    markers); it is closed by a fence of the same character that is at least
    as long and carries no info string. An unclosed fence runs to end of file
    (this matters: see prometheus-operator/PrometheusOperatorNodeLookupErrors.md).
    Figures counted naively (ignoring fences) are reported alongside.
  * Section match ("has a Meaning section") = some heading of any level whose
    text equals the section name case-insensitively.
"""
from __future__ import annotations

import argparse
import calendar
import collections
import datetime as dt
import json
import os
import re
import sys
import urllib.parse
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = Path(os.path.normpath(HERE.parent / ".." / "shared" / "corpus"))

SECTIONS = ["Meaning", "Impact", "Diagnosis", "Mitigation"]
AS_OF_DATES = ["2026-11-29", "2025-06-01"]
RUNBOOK_BASE_HOST = "runbooks.prometheus-operator.dev"
RUNBOOK_BASE_PATH = "/runbooks/"


# --------------------------------------------------------------------------
# Markdown helpers
# --------------------------------------------------------------------------

def split_front_matter(text: str):
    """Return (front_matter_text or None, body_lines, body_start_line_index)."""
    lines = text.splitlines()
    if not lines:
        return None, lines, 0
    first = lines[0].rstrip()
    if first in ("---", "+++"):
        closers = ("---", "...") if first == "---" else ("+++",)
        for i in range(1, len(lines)):
            if lines[i].rstrip() in closers:
                return "\n".join(lines[1:i]), lines[i + 1:], i + 1
    return None, lines, 0


ATX_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
FENCE_RE = re.compile(r"^(`{3,}|~{3,})(.*)$")


def _strip_containers(line: str) -> str:
    s = line.lstrip(" \t")
    while s.startswith(">"):
        s = s[1:].lstrip(" \t")
    return s


def atx_headings(body_lines, fence_aware=True):
    """List of (level, text, line_index_in_body)."""
    out = []
    fence = None  # (char, length)
    for idx, line in enumerate(body_lines):
        if fence_aware:
            s = _strip_containers(line)
            m = FENCE_RE.match(s)
            if fence is None:
                if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                    fence = (m.group(1)[0], len(m.group(1)))
                    continue
            else:
                if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= fence[1] \
                        and m.group(2).strip() == "":
                    fence = None
                continue
        m = ATX_RE.match(line)
        if not m:
            continue
        text = m.group(2) or ""
        # optional closing sequence: whitespace + #'s at end
        text = re.sub(r"(?:^|[ \t]+)#+[ \t]*$", "", text).strip()
        out.append((len(m.group(1)), text, idx))
    return out


def unclosed_fence(body_lines) -> bool:
    fence = None
    for line in body_lines:
        s = _strip_containers(line)
        m = FENCE_RE.match(s)
        if fence is None:
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                fence = (m.group(1)[0], len(m.group(1)))
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= fence[1] \
                and m.group(2).strip() == "":
            fence = None
    return fence is not None


def read_text(p: Path) -> str:
    return p.read_bytes().decode("utf-8-sig")


def rel(p: Path, base: Path) -> str:
    return p.relative_to(base).as_posix()


# --------------------------------------------------------------------------
# Adoption: which pages are adopted, what their links reached in the source
# --------------------------------------------------------------------------

MD_EXTS = [".html.md.erb", ".html.md", ".md.erb", ".markdown", ".mdx", ".md"]
INDEX_PAGES = ["_index.md", "index.md", "index.html.md", "index.html.md.erb", "index.markdown",
               "index.mdx", "README.md", "readme.md", "README.markdown"]
DEFAULT_SKIP = ["**/_index.md", "**/README.md", "**/CHANGELOG.md", "**/CONTRIBUTING.md",
                "**/LICENSE*", "**/.*/**"]
OTHER_DOC_EXTS = [".rst", ".adoc", ".asciidoc", ".txt", ".org", ".textile"]
MDIT = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def glob_re(g: str):
    """A glob as opsbook's --skip reads it (globset defaults: `**/` any
    directories, `*` anything including `/`, matched against the whole path)."""
    out, i = "", 0
    while i < len(g):
        if g.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif g.startswith("/**", i) and i + 3 == len(g):
            out += "/.*"
            i += 3
        elif g[i] == "*":
            out += ".*"
            i += 1
        elif g[i] == "?":
            out += "."
            i += 1
        else:
            out += re.escape(g[i])
            i += 1
    return re.compile(out + r"\Z")


def md_ext(name: str):
    low = name.lower()
    for e in MD_EXTS:
        if low.endswith(e):
            return e
    return None


def split_any_front_matter(text: str):
    """Front matter as adopt reads it: the first non-blank line `---` (YAML,
    closed by `---`/`...`) or `+++` (TOML, closed by `+++`). Returns
    (front matter text or None, kind, body)."""
    lines = text.split("\n")
    i = 0
    while i < len(lines) and lines[i].strip() == "":
        i += 1
    if i < len(lines) and lines[i].rstrip() in ("---", "+++"):
        closers = ("---", "...") if lines[i].rstrip() == "---" else ("+++",)
        kind = "yaml" if lines[i].rstrip() == "---" else "toml"
        for j in range(i + 1, len(lines)):
            if lines[j].rstrip() in closers:
                return "\n".join(lines[i + 1:j]), kind, "\n".join(lines[j + 1:])
    return None, None, text


def md_links(body: str):
    """Destinations of links and images (CommonMark, reference links resolved)."""
    out = []

    def walk(tokens):
        for t in tokens:
            if t.type == "link_open":
                out.append(t.attrGet("href"))
            elif t.type == "image":
                out.append(t.attrGet("src"))
            if t.children:
                walk(t.children)

    walk(MDIT.parse(body))
    return out


SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")


def is_file_link(d: str) -> bool:
    d = d.strip()
    return not (d == "" or d.startswith("#") or d.startswith("//") or "{{" in d or "<%" in d
                or SCHEME_RE.match(d))


def norm_join(base: str, link: str):
    parts = [p for p in base.split("/") if p]
    for seg in link.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(seg)
    return "/".join(parts)


def site_lookup(root: Path, p: str, trailing: bool):
    """(kind, path) a site generator serves for path p, or None."""
    full = root / p if p else root
    if p and full.is_file() and not trailing:
        return ("file", p)
    if full.is_dir():
        for idx in INDEX_PAGES:
            if (full / idx).is_file():
                return ("file", f"{p}/{idx}" if p else idx)
    if p:
        stem = p
        for e in (".html", ".htm"):
            if stem.endswith(e):
                stem = stem[: -len(e)]
                break
        for e in MD_EXTS:
            if (root / (stem + e)).is_file():
                return ("file", stem + e)
    if p and full.is_dir():
        return ("dir", p)
    return None


def resolve_in_source(root: Path, page: str, dest: str):
    """What a link of `page` reached, as adopt documents it: from the page's
    directory, from the parent for an index page, from `dir/<page>/` (Hugo's
    pretty URLs); `/x` from the root."""
    cut = min([i for i in (dest.find("#"), dest.find("?")) if i >= 0] or [len(dest)])
    path = urllib.parse.unquote(dest[:cut]).replace("\\", "/")
    if not path:
        return None
    trailing = path.endswith("/")
    if path.startswith("/"):
        j = norm_join("", path[1:])
        return None if j is None else site_lookup(root, j, trailing)
    d = page.rsplit("/", 1)[0] if "/" in page else ""
    name = page.rsplit("/", 1)[-1]
    e = md_ext(name)
    stem_name = name[: -len(e)] if e else name
    bases = [d]
    if stem_name.lower() in ("index", "_index", "readme"):
        bases.append(d.rsplit("/", 1)[0] if "/" in d else "")
    bases.append(page[: -len(e)] if e else page)
    for b in bases:
        j = norm_join(b, path)
        if j is None:
            continue
        r = site_lookup(root, j, trailing)
        if r:
            return r
    return None


DEPRECATED_TITLE_RE = re.compile(
    r"^\s*(?:[\[(【［](?:deprecated|obsolete|廃止|非推奨)[\])】］]|(?:deprecated|obsolete)\s*[:\-–])"
    r"|[\[(【［](?:deprecated|obsolete|廃止|非推奨)[\])】］]\s*$", re.I)
REPLACED_RE = re.compile(r"replaced by|superseded by|in favou?r of|has been replaced|has moved to|置き換え|移行しました|後継", re.I)


def adoption(src: Path, skips=()):
    """Figures of `opsbook adopt SRC --skip …` computed from the source alone."""
    globs = [glob_re(g) for g in list(DEFAULT_SKIP) + list(skips)]
    pages, skipped_glob, skipped_noext, skipped_other = [], [], [], []
    for p in sorted(x for x in src.rglob("*") if x.is_file()):
        r = rel(p, src)
        if any(part.startswith(".") for part in r.split("/")[:-1]):
            # hidden directories (`**/.*/**`) — listed by adopt only when Markdown
            pass
        name = p.name
        skip = any(g.match(r) for g in globs)
        if md_ext(name) is None:
            low = name.lower()
            if not skip and any(low.endswith(e) for e in OTHER_DOC_EXTS):
                skipped_other.append(r)
            elif not skip and "." not in name:
                head = p.read_bytes()[:512].decode("utf-8", "replace")
                first = next((l for l in head.splitlines() if l.strip()), "")
                if first.rstrip() == "---" or first.startswith("# ") or first.startswith("## "):
                    skipped_noext.append(r)
            continue
        if skip:
            skipped_glob.append(r)
            continue
        pages.append(r)
    page_set = set(pages)
    links_total = resolved = 0
    unresolved_rel = []     # relative links that reached nothing in the source
    unresolved_site = 0     # `/…` links that reached nothing (the gate skips them)
    assets = set()
    deprecated = []
    for r in pages:
        text = read_text(src / r)
        fm_text, kind, body = split_any_front_matter(text)
        fm = None
        if fm_text is not None and kind == "yaml":
            try:
                fm = yaml.safe_load(fm_text)
            except yaml.YAMLError:
                fm = None
            if not isinstance(fm, dict):
                body = text
                fm = None
        for d in md_links(body):
            if d is None or not is_file_link(d):
                continue
            links_total += 1
            t = resolve_in_source(src, r, d)
            if t is None:
                if d.strip().startswith("/"):
                    unresolved_site += 1
                else:
                    unresolved_rel.append(f"{r}: {d}")
                continue
            resolved += 1
            if t[0] == "file" and t[1] not in page_set:
                assets.add(t[1])
        # Deprecation marks: directory, title, front matter, the intro.
        title = fm.get("title") if isinstance(fm, dict) and isinstance(fm.get("title"), str) else None
        heads = atx_headings(body.split("\n"), True)
        if title is None:
            h1 = [t for lvl, t, _ in heads if lvl == 1 and "<%" not in t]
            title = h1[0] if h1 else ""
        first_h2 = next((i for lvl, _, i in heads if lvl == 2), None)
        intro = body.split("\n")[: first_h2 if first_h2 is not None else None]
        dirs = [x.lower() for x in r.split("/")[:-1]]
        is_dep = (any(x.startswith("deprecated") or x in ("archive", "archived", "obsolete") for x in dirs)
                  or bool(DEPRECATED_TITLE_RE.search(title))
                  or (isinstance(fm, dict) and (fm.get("deprecated") is True
                                                or str(fm.get("status", "")).lower() in ("deprecated", "obsolete", "archived")))
                  or any(REPLACED_RE.search(l) or ("deprecated" in l.lower() and "instead" in l.lower()) for l in intro))
        if is_dep:
            # The replacement: a link to an adopted page on the line saying so,
            # else on any intro line.
            said = [l for l in intro if REPLACED_RE.search(l) or ("deprecated" in l.lower() and "instead" in l.lower())]
            replacement = None
            for l in (said or intro):
                for d in md_links(l):
                    if d and is_file_link(d):
                        t = resolve_in_source(src, r, d)
                        if t and t[0] == "file" and t[1] in page_set and t[1] != r:
                            replacement = t[1]
                            break
                if replacement:
                    break
            deprecated.append({"page": r, "replaced_by_page": replacement})
    return {
        "pages": len(pages),
        "skipped_by_glob": len(skipped_glob),
        "skipped_markdown_without_extension": skipped_noext,
        "skipped_other_document_formats": skipped_other,
        "file_links": links_total,
        "file_links_resolved_in_source": resolved,
        "file_links_unresolved_relative": len(unresolved_rel),
        "file_links_unresolved_site_absolute": unresolved_site,
        "unresolved_relative_links": unresolved_rel,
        "linked_files_copied": len(assets),
        "deprecated_pages": len(deprecated),
        "deprecated_without_replacement": sum(1 for x in deprecated if x["replaced_by_page"] is None),
        "deprecated": deprecated,
    }


# --------------------------------------------------------------------------
# 1. kube-prometheus PrometheusRule manifests
# --------------------------------------------------------------------------

def iter_rule_docs(doc):
    if not isinstance(doc, dict):
        return
    if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
        for item in doc["items"]:
            yield from iter_rule_docs(item)
        return
    spec = doc.get("spec")
    if isinstance(spec, dict) and isinstance(spec.get("groups"), list):
        yield doc


def runbook_page_index(runbooks_root: Path):
    """Lower-cased '<component>/<Name>' keys of pages, and dirs with _index.md."""
    pages, dirs = {}, {}
    for p in sorted(runbooks_root.rglob("*")):
        if not p.is_file():
            continue
        r = rel(p, runbooks_root)
        if p.name == "_index.md":
            d = r[: -len("/_index.md")] if "/" in r else ""
            dirs[d.lower()] = r
        elif p.name.endswith(".md"):
            pages[r[:-3].lower()] = r
    return pages, dirs


def runbook_key(url: str):
    """Map a runbook URL to the lower-cased '<component>/<name>' lookup key.

    Scheme/host must be https?://runbooks.prometheus-operator.dev (host
    compared case-insensitively); query and #fragment are dropped; a trailing
    '/' is dropped; a trailing '.md' (if any) is dropped; path segments are
    percent-decoded; then everything after '/runbooks/' is lower-cased.
    Returns (key or None, reason).
    """
    if "{{" in url:
        return None, "templated"
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or \
            (parts.hostname or "").lower() != RUNBOOK_BASE_HOST:
        return None, "foreign-host"
    path = urllib.parse.unquote(parts.path)
    if not path.startswith(RUNBOOK_BASE_PATH):
        return None, "foreign-path"
    key = path[len(RUNBOOK_BASE_PATH):].strip("/")
    if key.lower().endswith(".md"):
        key = key[:-3]
    return key.lower(), "ok"


def kube_prometheus(corpus: Path):
    mdir = corpus / "kube-prometheus" / "manifests"
    runbooks_root = corpus / "prometheus-operator-runbooks" / "content" / "runbooks"
    pages, dirs = runbook_page_index(runbooks_root)

    files = sorted(mdir.glob("*.yaml"))
    rules = []
    docs_total = 0
    recording = 0
    kinds = collections.Counter()
    per_file = {}
    for f in files:
        n_alerts = 0
        for doc in yaml.safe_load_all(read_text(f)):
            if doc is None:
                continue
            docs_total += 1
            kinds[str(doc.get("kind") if isinstance(doc, dict) else type(doc).__name__)] += 1
            for rd in iter_rule_docs(doc):
                for g in rd["spec"]["groups"] or []:
                    for r in (g or {}).get("rules") or []:
                        if not isinstance(r, dict):
                            continue
                        if "alert" in r:
                            rules.append({"file": f.name, "group": g.get("name"), "rule": r})
                            n_alerts += 1
                        elif "record" in r:
                            recording += 1
        per_file[f.name] = n_alerts

    names = [str(x["rule"]["alert"]) for x in rules]
    name_counts = collections.Counter(names)
    ci_groups = collections.defaultdict(set)
    for n in names:
        ci_groups[n.lower()].add(n)
    dup_names = {n: sorted({x["file"] for x in rules if str(x["rule"]["alert"]) == n})
                 for n, c in sorted(name_counts.items()) if c > 1}
    dup_name_files = {n: [x["file"] + "#" + str(x["group"]) for x in rules
                          if str(x["rule"]["alert"]) == n]
                      for n in dup_names}
    case_collisions = {k: sorted(v) for k, v in sorted(ci_groups.items()) if len(v) > 1}

    sev = collections.Counter()
    for x in rules:
        labels = x["rule"].get("labels") or {}
        s = labels.get("severity")
        sev["<none>" if s is None else str(s)] += 1

    def get_runbook(r):
        for where in ("annotations", "labels"):
            d = r.get(where) or {}
            for k in ("runbook_url", "runbook"):
                if k in d and d[k] not in (None, ""):
                    return str(d[k]), f"{where}.{k}"
        return None, None

    with_url = 0
    url_sources = collections.Counter()
    templated = 0
    urls = []
    missing = []
    reasons = collections.Counter()
    no_url = []
    anchors = 0
    queries = 0
    trailing_slash = 0
    case_only_matches = 0
    dir_matches = []
    components_in_urls = collections.Counter()
    for x in rules:
        r = x["rule"]
        url, src = get_runbook(r)
        if url is None:
            no_url.append(str(r["alert"]))
            continue
        with_url += 1
        url_sources[src] += 1
        urls.append(url)
        if "{{" in url:
            templated += 1
        sp = urllib.parse.urlsplit(url)
        anchors += bool(sp.fragment)
        queries += bool(sp.query)
        trailing_slash += sp.path.endswith("/")
        key, reason = runbook_key(url)
        reasons[reason] += 1
        exists = False
        if key is not None:
            components_in_urls[key.split("/")[0]] += 1
            if key in pages:
                exists = True
                if pages[key][:-3] != urllib.parse.unquote(sp.path)[len(RUNBOOK_BASE_PATH):].strip("/"):
                    case_only_matches += 1
            elif key in dirs:
                exists = True
                dir_matches.append(url)
        if not exists:
            sevv = (r.get("labels") or {}).get("severity")
            missing.append({"alert": str(r["alert"]), "severity": None if sevv is None else str(sevv),
                            "url": url, "file": x["file"], "reason": reason})

    # Where each rule's link leads in the SSOT `opsbook adopt` makes of the
    # runbooks snapshot (base https://runbooks.prometheus-operator.dev/runbooks/,
    # each page reachable by its original path; section `_index.md` pages are
    # not adopted): ok, dead, case-mismatch, anchor-missing. The path after the
    # base must equal a page's path (case-sensitively), or be all lower case
    # with no `.md` (Hugo lower-cases rendered URLs); a case-only match
    # otherwise is case-mismatch. And the second fact: whether an adopted
    # page's trigger (its file name when alert-like: letters and digits, an
    # upper-case letter) names the alert.
    exact_pages = {k_[:-3] if k_.lower().endswith(".md") else k_: v for v, k_ in
                   ((v, v) for v in pages.values())}
    lower_pages = {k_.lower(): v for k_, v in exact_pages.items()}
    triggers = set()
    for v in pages.values():
        stem = v.rsplit("/", 1)[-1][:-3]
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", stem) and any(c.isupper() for c in stem):
            triggers.add(stem.lower())
    link_status = collections.Counter()
    link_by_sev = collections.defaultdict(collections.Counter)
    matrix_mapped = 0
    not_ok_critical = []
    for x in rules:
        r = x["rule"]
        url, _ = get_runbook(r)
        sevv = (r.get("labels") or {}).get("severity")
        if url is None:
            st = "missing"
        elif "{{" in url:
            st = "templated"
        else:
            sp = urllib.parse.urlsplit(url)
            path = urllib.parse.unquote(sp.path)
            if (sp.hostname or "").lower() != RUNBOOK_BASE_HOST or not path.lower().startswith(RUNBOOK_BASE_PATH):
                st = "foreign"
            else:
                rest = path[len(RUNBOOK_BASE_PATH):].strip("/")
                file_link = rest.lower().endswith(".md")
                if file_link:
                    rest = rest[:-3]
                if rest in exact_pages:
                    st = "ok"
                elif rest.lower() in lower_pages:
                    st = "ok" if (not file_link and rest == rest.lower()) else "case-mismatch"
                else:
                    st = "dead"
                if st == "ok" and sp.fragment:
                    st = "anchor-unchecked"
        link_status[st] += 1
        link_by_sev[str(sevv)][st] += 1
        if str(r["alert"]).lower() in triggers:
            matrix_mapped += 1
        if sevv == "critical" and st != "ok":
            not_ok_critical.append(str(r["alert"]))

    norm_urls = set()
    for u in urls:
        k, _ = runbook_key(u)
        norm_urls.add(k if k is not None else u)

    referenced = set()
    for u in urls:
        k, _ = runbook_key(u)
        if k is not None:
            referenced.add(k)
    unreferenced_pages = sorted(v for kk, v in pages.items() if kk not in referenced)
    missing_names = sorted({m["alert"] for m in missing})
    missing_components = collections.Counter(m["url"].rstrip("/").split("/")[-2] for m in missing)
    return {
        "manifest_files": len(files),
        "yaml_documents": docs_total,
        "document_kinds": dict(sorted(kinds.items())),
        "alerting_rules": len(rules),
        "alerting_rules_per_file": per_file,
        "recording_rules_ignored": recording,
        "distinct_alert_names": len(name_counts),
        "distinct_alert_names_case_insensitive": len(ci_groups),
        "duplicate_alert_names": dup_name_files,
        "case_insensitive_name_collisions": case_collisions,
        "severity_counts": dict(sorted(sev.items())),
        "rules_with_runbook_url": with_url,
        "runbook_url_key_sources": dict(sorted(url_sources.items())),
        "rules_without_runbook_url": sorted(no_url),
        "runbook_urls_with_template": templated,
        "runbook_urls_with_anchor": anchors,
        "runbook_urls_with_query": queries,
        "runbook_urls_with_trailing_slash": trailing_slash,
        "runbook_url_components": dict(sorted(components_in_urls.items())),
        "distinct_runbook_urls": len(set(urls)),
        "distinct_runbook_urls_normalised": len(norm_urls),
        "runbook_page_missing_rules": len(missing),
        "runbook_page_missing_distinct_alert_names": len(missing_names),
        "runbook_page_missing_alert_names": missing_names,
        "runbook_page_missing_critical_rules": sum(1 for m in missing if m["severity"] == "critical"),
        "runbook_page_missing_critical_alert_names": sorted({m["alert"] for m in missing if m["severity"] == "critical"}),
        "runbook_page_missing_by_severity": dict(sorted(collections.Counter(str(m["severity"]) for m in missing).items())),
        "runbook_page_missing_by_component": dict(sorted(missing_components.items())),
        "runbook_page_missing_details": missing,
        "runbook_page_existing_rules": with_url - len(missing),
        "runbook_page_existing_via_section_index": len(dir_matches),
        "runbook_page_existing_case_insensitive_only": case_only_matches,
        "adopted_link_status": dict(sorted(link_status.items())),
        "adopted_link_status_by_severity": {k: dict(sorted(v.items())) for k, v in sorted(link_by_sev.items())},
        "adopted_critical_rules_link_not_ok": sorted(not_ok_critical),
        "adopted_matrix_mapped_rules": matrix_mapped,
        "adopted_matrix_unmapped_rules": len(rules) - matrix_mapped,
        "runbook_pages_not_referenced_by_any_rule": len(unreferenced_pages),
        "runbook_pages_not_referenced_list": unreferenced_pages,
    }


# --------------------------------------------------------------------------
# 2. prometheus-operator/runbooks
# --------------------------------------------------------------------------

def po_runbooks(corpus: Path):
    root = corpus / "prometheus-operator-runbooks" / "content" / "runbooks"
    all_files = sorted(p for p in root.rglob("*") if p.is_file())
    md = [p for p in all_files if p.name.endswith(".md") and p.name != "_index.md"]
    index_pages = [rel(p, root) for p in all_files if p.name == "_index.md"]
    other = [rel(p, root) for p in all_files if not p.name.endswith(".md")]
    per_comp = collections.Counter(rel(p, root).split("/")[0] if "/" in rel(p, root) else "(root)" for p in md)
    fm_count = 0
    fm_title = 0
    sec = {s: 0 for s in SECTIONS}
    sec_naive = {s: 0 for s in SECTIONS}
    all_four = 0
    all_four_naive = 0
    missing_sections = {}
    unclosed = []
    for p in md:
        fm, body, _ = split_front_matter(read_text(p))
        if fm is not None:
            fm_count += 1
            try:
                d = yaml.safe_load(fm)
                if isinstance(d, dict) and d.get("title"):
                    fm_title += 1
            except yaml.YAMLError:
                pass
        if unclosed_fence(body):
            unclosed.append(rel(p, root))
        heads = {t.lower() for _, t, _ in atx_headings(body, True)}
        heads_naive = {t.lower() for _, t, _ in atx_headings(body, False)}
        have = [s for s in SECTIONS if s.lower() in heads]
        for s in have:
            sec[s] += 1
        for s in SECTIONS:
            if s.lower() in heads_naive:
                sec_naive[s] += 1
        all_four += len(have) == 4
        all_four_naive += all(s.lower() in heads_naive for s in SECTIONS)
        if len(have) < 4:
            missing_sections[rel(p, root)] = [s for s in SECTIONS if s not in have]
    return {
        "runbook_files": len(md),
        "runbook_files_per_component": dict(sorted(per_comp.items())),
        "section_index_pages_excluded": len(index_pages),
        "section_index_pages": index_pages,
        "non_md_files_excluded": other,
        "with_front_matter": fm_count,
        "without_front_matter": len(md) - fm_count,
        "with_front_matter_title": fm_title,
        "files_without_front_matter": sorted(rel(p, root) for p in md if split_front_matter(read_text(p))[0] is None),
        "with_section": sec,
        "with_all_four_sections": all_four,
        "with_section_ignoring_code_fences": sec_naive,
        "with_all_four_sections_ignoring_code_fences": all_four_naive,
        "files_missing_some_section": missing_sections,
        "files_with_unclosed_code_fence": unclosed,
    }


# --------------------------------------------------------------------------
# 3. openshift/runbooks
# --------------------------------------------------------------------------

def openshift(corpus: Path):
    base = corpus / "openshift-runbooks"
    root = base / "alerts"
    files = sorted(p for p in root.rglob("*") if p.is_file())
    helpers = [p for p in files if "helpers" in p.relative_to(root).parts[:-1]]
    readmes = [p for p in files if p not in helpers and p.name.lower().startswith("readme")]
    runbooks = [p for p in files if p not in helpers and p not in readmes and p.name.endswith(".md")]
    non_md = [rel(p, base) for p in files if p not in helpers and p not in readmes and not p.name.endswith(".md")]
    per_dir = collections.Counter(
        (p.relative_to(root).parts[0] if len(p.relative_to(root).parts) > 1 else "(alerts/ top level)")
        for p in runbooks)
    occ_all = collections.Counter()   # level >= 2, every occurrence
    files_l2 = collections.Counter()  # level == 2, number of runbooks having it
    occ_l2 = collections.Counter()
    occ_ci = collections.Counter()   # level >= 2, lower-cased text, every occurrence
    level_counts = collections.Counter()
    fm = 0
    sec = {s: 0 for s in SECTIONS}
    unclosed = []
    for p in runbooks:
        f, body, _ = split_front_matter(read_text(p))
        fm += f is not None
        if unclosed_fence(body):
            unclosed.append(rel(p, base))
        hs = atx_headings(body, True)
        seen_l2 = set()
        lower_all = set()
        for lvl, t, _ in hs:
            level_counts[lvl] += 1
            lower_all.add(t.lower())
            if lvl >= 2:
                occ_all[t] += 1
                occ_ci[t.lower()] += 1
            if lvl == 2:
                occ_l2[t] += 1
                seen_l2.add(t)
        for t in seen_l2:
            files_l2[t] += 1
        for s in SECTIONS:
            sec[s] += s.lower() in lower_all

    def top(counter, n=15):
        items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        head = items[:n]
        cutoff = head[-1][1] if head else 0
        tied_beyond = [k for k, v in items[n:] if v == cutoff]
        return [[k, v] for k, v in head], tied_beyond

    t_all, tie_all = top(occ_all)
    t_ci, tie_ci = top(occ_ci)
    t_l2f, tie_l2f = top(files_l2)
    t_l2o, tie_l2o = top(occ_l2)
    return {
        "runbook_files": len(runbooks),
        "runbook_files_per_directory": dict(sorted(per_dir.items())),
        "helper_files": len(helpers),
        "helper_paths": [rel(p, base) for p in helpers],
        "readme_files_excluded": [rel(p, base) for p in readmes],
        "non_md_files_under_alerts": non_md,
        "md_files_under_alerts_total": sum(1 for p in files if p.name.endswith(".md")),
        "with_front_matter": fm,
        "heading_count_by_level": {str(k): v for k, v in sorted(level_counts.items())},
        "with_section_any_level_case_insensitive": sec,
        "distinct_heading_texts_level_ge2": len(occ_all),
        "top15_headings_level_ge2_occurrences": t_all,
        "top15_headings_level_ge2_ties_beyond_cutoff": tie_all,
        "top15_headings_level_ge2_occurrences_lowercased": t_ci,
        "top15_headings_level_ge2_lowercased_ties_beyond_cutoff": tie_ci,
        "top15_h2_by_runbook_count": t_l2f,
        "top15_h2_by_runbook_count_ties_beyond_cutoff": tie_l2f,
        "top15_h2_occurrences": t_l2o,
        "top15_h2_occurrences_ties_beyond_cutoff": tie_l2o,
        "files_with_unclosed_code_fence": unclosed,
    }


# --------------------------------------------------------------------------
# 4. MoJ cloud-platform
# --------------------------------------------------------------------------

REVIEW_RE = re.compile(r"^\s*(\d+)\s*(day|week|month|year)s?\s*$", re.I)


def add_months(d: dt.date, months: int) -> dt.date:
    y, m0 = divmod(d.month - 1 + months, 12)
    y += d.year
    m = m0 + 1
    last = calendar.monthrange(y, m)[1]
    return dt.date(y, m, min(d.day, last))


def add_period(d: dt.date, n: int, unit: str) -> dt.date:
    unit = unit.lower()
    if unit == "day":
        return d + dt.timedelta(days=n)
    if unit == "week":
        return d + dt.timedelta(weeks=n)
    if unit == "month":
        return add_months(d, n)
    if unit == "year":
        return add_months(d, 12 * n)
    raise ValueError(unit)


def moj(corpus: Path):
    base = corpus / "moj-cloud-platform" / "source"
    files = sorted(base.rglob("*.html.md.erb"))
    with_fm = 0
    with_both = 0
    with_lro = 0
    with_ri = 0
    review_values = collections.Counter()
    problems = []
    parsed = []
    lro_types = collections.Counter()
    day_clamped = []
    for p in files:
        r = rel(p, base)
        fm, _, _ = split_front_matter(read_text(p))
        if fm is None:
            problems.append({"file": r, "problem": "no front matter"})
            continue
        with_fm += 1
        try:
            d = yaml.safe_load(fm) or {}
        except yaml.YAMLError as e:
            problems.append({"file": r, "problem": f"front matter YAML error: {e}"})
            continue
        lro = d.get("last_reviewed_on")
        ri = d.get("review_in")
        with_lro += lro is not None
        with_ri += ri is not None
        if lro is None and ri is None:
            problems.append({"file": r, "problem": "missing last_reviewed_on and review_in"})
            continue
        if lro is None or ri is None:
            problems.append({"file": r, "problem": "missing " + ("last_reviewed_on" if lro is None else "review_in")})
            continue
        with_both += 1
        review_values[str(ri)] += 1
        lro_types[type(lro).__name__] += 1
        if isinstance(lro, dt.datetime):
            lro = lro.date()
        elif isinstance(lro, str):
            try:
                lro = dt.date.fromisoformat(lro.strip())
            except ValueError:
                problems.append({"file": r, "problem": f"unparsable last_reviewed_on {lro!r}"})
                continue
        elif not isinstance(lro, dt.date):
            problems.append({"file": r, "problem": f"unparsable last_reviewed_on {lro!r}"})
            continue
        m = REVIEW_RE.match(str(ri))
        if not m:
            problems.append({"file": r, "problem": f"unparsable review_in {ri!r}"})
            continue
        n, unit = int(m.group(1)), m.group(2).lower()
        due = add_period(lro, n, unit)
        if unit in ("month", "year") and due.day != lro.day:
            day_clamped.append({"file": r, "last_reviewed_on": lro.isoformat(), "review_in": str(ri), "due": due.isoformat()})
        parsed.append({"file": r, "last_reviewed_on": lro, "review_in": str(ri), "due": due})

    as_of = {}
    for s in AS_OF_DATES:
        a = dt.date.fromisoformat(s)
        overdue = [x for x in parsed if x["due"] < a]
        due_today = [x["file"] for x in parsed if x["due"] == a]
        not_yet_reviewed = [x["file"] for x in parsed if x["last_reviewed_on"] > a]
        as_of[s] = {
            "overdue": len(overdue),
            "not_overdue": len(parsed) - len(overdue),
            "due_exactly_on_as_of_not_overdue": due_today,
            "overdue_if_equality_counted_as_overdue": len(overdue) + len(due_today),
            "last_reviewed_after_as_of": len(not_yet_reviewed),
            "overdue_files": sorted(x["file"] for x in overdue),
        }
    dues = sorted(x["due"] for x in parsed)
    lros = sorted(x["last_reviewed_on"] for x in parsed)
    return {
        "files": len(files),
        "files_top_level": sum(1 for p in files if p.parent == base),
        "files_per_subdirectory": dict(sorted(collections.Counter(
            (p.relative_to(base).parts[0] if len(p.relative_to(base).parts) > 1 else "(top level)") for p in files).items())),
        "with_front_matter": with_fm,
        "with_last_reviewed_on": with_lro,
        "with_review_in": with_ri,
        "with_both_review_fields": with_both,
        "review_fields_parsed": len(parsed),
        "review_in_values": dict(sorted(review_values.items())),
        "last_reviewed_on_yaml_types": dict(lro_types),
        "last_reviewed_on_min": lros[0].isoformat() if lros else None,
        "last_reviewed_on_max": lros[-1].isoformat() if lros else None,
        "due_min": dues[0].isoformat() if dues else None,
        "due_max": dues[-1].isoformat() if dues else None,
        "due_dates_clamped_to_month_end": day_clamped,
        "files_missing_or_unparsable_metadata": problems,
        "as_of": as_of,
    }


# --------------------------------------------------------------------------

RULES = {
    "kube_prometheus": [
        "alerting rule = mapping under spec.groups[].rules[] with an `alert` key (records with `record` ignored); all YAML documents of every manifests/*.yaml",
        "distinct names: exact string; case-insensitive: str.lower()",
        "severity: labels.severity, '<none>' when absent",
        "runbook key lookup order: annotations.runbook_url, annotations.runbook, labels.runbook_url, labels.runbook (first non-empty wins)",
        "page exists: URL host runbooks.prometheus-operator.dev, path starts /runbooks/; drop query, #fragment, trailing '/', trailing '.md'; lower-case remainder R; exists if some content/runbooks/**/X.md (not _index.md) has lower(path minus .md) == R, or content/runbooks/R/_index.md exists (case-insensitive). Extension-less stray files never count. Templated URLs ({{) never exist.",
        "missing-page figures count rules (not names) unless stated; critical = labels.severity == 'critical' exactly",
        "distinct runbook URLs: exact string; normalised = the lookup key above",
    ],
    "prometheus_operator_runbooks": [
        "runbook = file ending .md under content/runbooks/ (recursive), excluding _index.md; the extension-less stray file prometheus-operator/PrometheusOperatorSyncFailed is NOT counted",
        "component = first directory under content/runbooks/",
        "front matter = first line '---' with a later closing '---' line",
        "section present = ATX heading of any level, text equal case-insensitively, outside fenced code (CommonMark: unclosed fence runs to EOF)",
    ],
    "openshift_runbooks": [
        "runbook = *.md under alerts/ (recursive, incl. alerts/ top level), excluding any path with a 'helpers' directory and any README*",
        "helper = any file under a helpers/ directory",
        "heading frequencies: ATX headings outside fenced code, raw text (trimmed, closing #'s removed, case preserved); ties ordered by text (Python str order); primary list = level>=2 counted per occurrence",
    ],
    "adoption": [
        "pages = files with a Markdown extension (.html.md.erb, .html.md, .md.erb, .markdown, .mdx, .md; any letter case) not matching the default skip globs (**/_index.md, **/README.md, **/CHANGELOG.md, **/CONTRIBUTING.md, **/LICENSE*, **/.*/**) or the --skip globs of the corpus test (openshift: **/helpers/**, example.md); globs as globset reads them (`*` crosses `/`)",
        "skipped and listed: extension-less files whose first non-blank line is `---`, `# ` or `## `; .rst/.adoc/.asciidoc/.txt/.org/.textile files",
        "links = href/src of every link and image in the body after front matter (the first non-blank line `---`…`---`/`...` or `+++`…`+++`), parsed as CommonMark by markdown-it-py (reference links resolved); file links = not empty, not `#…`, not `//…`, no URI scheme (2+ letters then `:`), no `{{` or `<%`",
        "a file link resolved in the source when, percent-decoded, from the page's directory (for an index page also its parent; also `dir/<page stem>/`, Hugo's pretty URLs; `/x` from the source root only), it names a file (not with a trailing `/`), a directory's index page (_index.md, index.md, index.html.md, index.html.md.erb, index.markdown, index.mdx, README.md, readme.md, README.markdown), a page by its rendered name (x, x.html or x.htm → x + a Markdown extension), or a directory; climbing above the source root resolves nothing",
        "after adoption a resolved link still resolves; the gate (OB701) reports the relative ones that did not resolve in the source (site-absolute `/…` links are not checked by the gate)",
        "linked files copied = distinct resolved files that are not adopted pages",
        "deprecated = a directory named deprecated*, archive, archived or obsolete; a title (front matter, else the first `# ` heading) starting with [Deprecated]/(Deprecated)/【廃止】/[非推奨]/`Deprecated:`/`Obsolete -` or ending with such a bracket; front matter deprecated: true or status deprecated/obsolete/archived; or an intro line (before the first `## `) saying replaced by / superseded by / in favo(u)r of / has been replaced / has moved to / 置き換え / 移行しました / 後継, or deprecated … instead",
        "replacement = the first link to an adopted page (not itself) on such an intro line, else on any intro line; deprecated without replacement = the gate's OB601",
    ],
    "moj_cloud_platform": [
        "file = *.html.md.erb under source/ (recursive)",
        "review fields from YAML front matter only (the example block in add-a-new-runbook.html.md.erb body is ignored)",
        "review_in regex ^\\s*(\\d+)\\s*(day|week|month|year)s?\\s*$ (case-insensitive)",
        "due = last_reviewed_on + review_in; months/years: add calendar months (year = 12 months), day clamped to last day of target month (e.g. 2025-08-31 + 6 months = 2026-02-28); days/weeks: plain day arithmetic",
        "overdue iff due < as_of (strict); due == as_of is NOT overdue",
    ],
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--quiet", action="store_true", help="no human explanation on stderr")
    a = ap.parse_args()
    c = a.corpus.resolve()
    figs = {
        "corpus": os.path.relpath(os.path.normpath(a.corpus.absolute()), HERE.parent),
        "kube_prometheus": kube_prometheus(c),
        "prometheus_operator_runbooks": po_runbooks(c),
        "openshift_runbooks": openshift(c),
        "moj_cloud_platform": moj(c),
        "adoption": {
            "prometheus_operator_runbooks": adoption(c / "prometheus-operator-runbooks" / "content" / "runbooks"),
            "openshift_runbooks": adoption(c / "openshift-runbooks", ["**/helpers/**", "example.md"]),
            "moj_cloud_platform": adoption(c / "moj-cloud-platform" / "source"),
        },
        "rules": RULES,
    }
    text = json.dumps(figs, indent=2, ensure_ascii=False, default=str) + "\n"
    sys.stdout.write(text)
    if a.json_out:
        a.json_out.write_text(text, encoding="utf-8")
    if not a.quiet:
        k, p, o, m = (figs[x] for x in ("kube_prometheus", "prometheus_operator_runbooks",
                                        "openshift_runbooks", "moj_cloud_platform"))
        lines = [
            "",
            "Summary",
            f"  kube-prometheus: {k['alerting_rules']} alerting rules in {k['manifest_files']} files "
            f"({k['distinct_alert_names']} distinct names, {k['distinct_alert_names_case_insensitive']} case-insensitively); "
            f"severity {k['severity_counts']}; {k['rules_with_runbook_url']} with runbook URL "
            f"({k['distinct_runbook_urls']} distinct); {k['runbook_page_missing_rules']} rules lack a page "
            f"({k['runbook_page_missing_critical_rules']} critical); {k['runbook_urls_with_template']} templated URLs.",
            f"  prometheus-operator/runbooks: {p['runbook_files']} runbooks (stray extension-less file not counted), "
            f"{p['with_front_matter']} with front matter; sections {p['with_section']} "
            f"(ignoring code fences: {p['with_section_ignoring_code_fences']}).",
            f"  openshift/runbooks: {o['runbook_files']} runbooks, {o['helper_files']} helpers, "
            f"README excluded: {o['readme_files_excluded']}.",
            f"  moj cloud-platform: {m['files']} files, {m['with_both_review_fields']} with last_reviewed_on+review_in "
            f"{m['review_in_values']}; overdue " +
            ", ".join(f"as of {d}: {v['overdue']}" for d, v in m["as_of"].items()) +
            f"; {len(m['files_missing_or_unparsable_metadata'])} files without review metadata.",
            "  Rules: see the 'rules' key of the JSON.",
        ]
        sys.stderr.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
