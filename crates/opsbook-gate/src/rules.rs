//! The rule registry: every check the gate runs has a stable code, a kebab
//! name, a default level, the requirement it comes from, and a page shown by
//! `opsbook explain CODE` (What it does / Why is this bad? / Example).
//!
//! Codes are never reused. Families: `OB0xx` input, `OB1xx` runbook lint
//! (D-GATE-LINT), `OB2xx` contracts (D-GATE-SCHEMA), `OB3xx` registry
//! (D-GATE-REGISTRY), `OB4xx` coverage (D-GATE-COVERAGE), `OB5xx` expiry
//! (D-GATE-EXPIRY), `OB6xx` deprecation (D-GATE-DEPRECATED), `OB7xx` links and
//! safety model, `OB8xx` ledgers (D-INC-LEDGER), `OB9xx` changed-file summary
//! (D-GATE-SUMMARY).

use std::fmt;

/// How serious a finding is. `Error` fails the gate (exit 1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Shown, never counted.
    Info,
    /// Counted as a warning; does not fail the gate.
    #[serde(rename = "warning")]
    Warn,
    /// Fails the gate.
    Error,
}

impl Level {
    /// Parses `error`, `warn`/`warning`, `info`; `off` gives `None` inside `Some`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Option<Level>> {
        match s.to_ascii_lowercase().as_str() {
            "error" | "fail" | "deny" => Some(Some(Level::Error)),
            "warn" | "warning" => Some(Some(Level::Warn)),
            "info" | "note" => Some(Some(Level::Info)),
            "off" | "allow" | "none" => Some(None),
            _ => None,
        }
    }

    /// `error`, `warning` or `info`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "info",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule of the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Rule {
    /// Stable code, e.g. `OB101`.
    pub code: &'static str,
    /// Kebab-case name, e.g. `missing-section`.
    pub name: &'static str,
    /// Default level.
    pub level: Level,
    /// Requirement ID from `DESIGN.md` §5.
    pub requirement: &'static str,
    /// One line: what the rule reports.
    pub summary: &'static str,
    /// The doc page in Markdown: What it does / Why is this bad? / Example.
    pub doc: &'static str,
}

macro_rules! rules {
    ($( $code:literal $name:literal $level:ident $req:literal $summary:literal $doc:literal ;)*) => {
        /// Every rule, sorted by code.
        pub const RULES: &[Rule] = &[ $( Rule { code: $code, name: $name, level: Level::$level, requirement: $req, summary: $summary, doc: $doc } ),* ];
    };
}

rules! {
"OB001" "unreadable-file" Error "D-VERIFY" "a file of the SSOT cannot be read or walked"
"## What it does\nReports files and directories the gate cannot read: permission errors, files that vanish during the run, unreadable directories and symbolic-link loops.\n\n## Why is this bad?\nA file the gate cannot read is a file nobody has checked. At 3 a.m. the operator trusts that every runbook passed the gate.\n\n## Example\n```text\nrunbooks/platform/loop -> ../platform   (a symlink to its own parent)\n```\nUse instead: remove the loop, or fix the permissions so the CI user can read every file.";

"OB002" "undecodable-text" Error "D-WIN" "a file is not text in a supported encoding"
"## What it does\nReports files that are not UTF-8, UTF-8 with BOM, or UTF-16LE/BE with BOM, naming the line and byte of the first bad byte. Binary junk named `.md` and UTF-16 saved without a BOM land here.\n\n## Why is this bad?\nA runbook that cannot be decoded cannot be linted, rendered in the console, or searched by symptom.\n\n## Example\nA runbook saved by an old editor in Shift_JIS.\n\nUse instead: in PowerShell, `Get-Content old.md -Encoding Default | Set-Content new.md -Encoding utf8`.";

"OB003" "file-too-large" Error "D-VERIFY" "a file is over the size limit for its kind"
"## What it does\nReports runbooks over 2 MiB and other SSOT files over 32 MiB. They are not parsed.\n\n## Why is this bad?\nA runbook is read under pressure; a multi-megabyte runbook is a log dump or an accident, not a procedure. Large files also slow every gate run.\n\n## Example\nA 50 MB Markdown file with a pasted log.\n\nUse instead: keep logs in an evidence bundle and link its ID from the runbook.";

"OB004" "empty-file" Error "D-VERIFY" "a file is empty"
"## What it does\nReports empty (or whitespace-only) runbooks, registries, policies and plans.\n\n## Why is this bad?\nAn empty file in the SSOT is either unfinished work or a truncated write; either way it promises something it does not hold.\n\n## Example\n`policy/time.yaml` with zero bytes.\n\nUse instead: restore the file from git, or delete it and its references.";

"OB005" "invalid-syntax" Error "D-CONTRACTS" "YAML, TOML or JSON does not parse (syntax, duplicate key, tab indentation)"
"## What it does\nReports syntax errors in YAML (including duplicate mapping keys and tab indentation), TOML and JSON Lines, with the line and column.\n\n## Why is this bad?\nA YAML file with a duplicate key silently keeps one of the values in most tools; opsbook refuses to guess which one you meant.\n\n## Example\n```yaml\nseverity: P1\nseverity: P0\n```\nUse instead: one key, one value.";

"OB006" "missing-front-matter" Error "D-RB-TEMPLATE" "a runbook or postmortem has no YAML front matter"
"## What it does\nReports runbooks and postmortems that do not start with a `---` front-matter block on line 1 — including front matter after blank lines and TOML front matter (`+++`), which are named as such (`opsbook adopt` converts both).\n\n## Why is this bad?\nThe front matter carries the ID, kind, owner, danger tiers and verification dates that every other check relies on.\n\n## Example\n```markdown\n# Clock drift\n...\n```\nUse instead:\n```markdown\n---\nrunbook_id: RB-PLAT-TIME-DRIFT\n...\n---\n# Clock drift\n```";

"OB007" "invalid-front-matter" Error "D-RB-TEMPLATE" "front matter is not terminated or is not a mapping"
"## What it does\nReports a front matter that opens with `---` but never closes, or that is not a mapping of `key: value` lines.\n\n## Why is this bad?\nAn unterminated front matter swallows the whole runbook into metadata.\n\n## Example\n```markdown\n---\nrunbook_id: RB-X-Y\n# Title\n```\nUse instead: close the block with a line `---`.";

"OB008" "invalid-contract" Error "D-CONTRACTS" "a contract in contracts/ is not a valid JSON Schema"
"## What it does\nReports `contracts/*.schema.json` files that are not valid JSON or not valid JSON Schema 2020-12. The embedded contract is used instead.\n\n## Why is this bad?\nA broken contract validates nothing.\n\n## Example\n`{\"type\": \"objekt\"}`\n\nUse instead: `opsbook contracts export contracts/` to restore the shipped contracts, then re-apply your change.";

"OB101" "missing-section" Error "D-RB-SECTIONS" "a runbook lacks a section its kind requires"
"## What it does\nChecks that each runbook has every level-2 section its `kind` requires (see `docs/formats.md`): Prerequisites, Triage, Safety, Evidence, Mitigation, Recovery, Validation, Backout, Post-Recovery Watch, Related, Do-Not-Do.\n\n## Why is this bad?\nThe seed's order safe → evidence → observe → recover → verify → learn only works if every runbook walks it. A runbook without Backout leaves the operator stranded when the fix goes wrong.\n\n## Example\nA MITIGATION runbook with no `## Backout / 切り戻し`.\n\nUse instead: add the section; if it truly does not apply, say so: `Not applicable / 該当なし — <reason>`.";

"OB102" "heading-not-bilingual" Error "D-I18N" "a required section heading is not `English / 日本語` as in the glossary"
"## What it does\nChecks that required section headings carry both languages, English first, with the glossary's Japanese term: `## Backout / 切り戻し`.\n\n## Why is this bad?\nThe seed requires ja/en headings at least (D-I18N): the on-call operator may read either language, and the gate, the console and search rely on one name per term.\n\n## Example\n`## Backout`\n\nUse instead: `## Backout / 切り戻し`.";

"OB103" "empty-section" Error "D-RB-SECTIONS" "a required section has no content"
"## What it does\nReports opsbook sections that say nothing before the next section: nothing at all, or only an HTML comment, a horizontal rule, an empty code fence, `&nbsp;`, an anchor, or sub-headings without text under them.\n\n## Why is this bad?\nAn empty section passes a heading check while telling the operator nothing.\n\n## Example\n```markdown\n## Backout / 切り戻し\n\n## Related / 関連\n```\nUse instead: write the steps, or `Not applicable / 該当なし — <reason>`.";

"OB104" "duplicate-section" Error "D-RB-SECTIONS" "a required section appears twice"
"## What it does\nReports a required section heading that appears more than once in a runbook.\n\n## Why is this bad?\nTwo Backout sections mean the operator has to guess which one is current.\n\n## Example\nTwo `## Backout / 切り戻し` headings.\n\nUse instead: merge them.";

"OB105" "dangerous-op-without-backout" Error "D-SAFE-BACKOUT" "a T1/T2 operation has no backout"
"## What it does\nChecks that every `dangerous_ops` entry of tier T1 or T2 has a non-empty `backout`.\n\n## Why is this bad?\nSeed §5.1: dangerous operations require a way back and evidence. Without a backout, a reversible change is irreversible in practice.\n\n## Example\n```yaml\ndangerous_ops:\n  - id: restart-gateway\n    tier: T1\n    confirmation: Type the host name\n```\nUse instead: add `backout: \"Step 9: start the previous build\"`.";

"OB106" "dangerous-op-without-confirmation" Error "D-SAFE-CONFIRM" "a T1/T2 operation has no confirmation"
"## What it does\nChecks that every `dangerous_ops` entry of tier T1 or T2 has a non-empty `confirmation`.\n\n## Why is this bad?\nOne tired operator is one typo away from the wrong host. The confirmation says how the target is checked before the change.\n\n## Example\nA T2 `revoke-api-key` op with only a backout.\n\nUse instead: `confirmation: \"Type the key label back; run RB-QUICK-HIGH-DANGER-CONFIRM\"`.";

"OB107" "step-without-tier" Error "D-AUTO-BOUNDARY" "a script block has no valid danger tier"
"## What it does\nChecks that every shell code block carries `tier=T0`, `T1` or `T2` in its info string (a missing tier, or another value such as `T3`). Shell blocks are PowerShell (`powershell`, `pwsh`, `ps1`, `ps`, `posh`, …), POSIX shells and their transcripts (`bash`, `sh`, `shell`, `zsh`, `console`, `shell-session`, …) and `cmd` (`cmd`, `bat`, `batch`, …); none escapes the check. Output belongs in `text` blocks.\n\n## Why is this bad?\nThe automation boundary (read-only may run automatically, dangerous may not) can only be enforced for steps whose tier is declared.\n\n## Example\n````markdown\n```powershell\nRestart-Service TradingGateway\n```\n````\nUse instead: ```` ```powershell {step=4 tier=T1 op=restart-gateway} ````.";

"OB108" "dangerous-step-without-op" Error "D-SAFE-BACKOUT" "a T1/T2 step does not name its dangerous operation"
"## What it does\nChecks that each T1/T2 step has `op=<id>` naming a `dangerous_ops` entry (which carries the backout and the confirmation).\n\n## Why is this bad?\nA dangerous step that is not tied to a declared operation escapes the backout and confirmation checks.\n\n## Example\n```` ```powershell {step=4 tier=T1} ````\n\nUse instead: ```` ```powershell {step=4 tier=T1 op=restart-gateway} ```` and declare `restart-gateway` in `dangerous_ops`.";

"OB109" "unknown-op" Error "D-SAFE-BACKOUT" "a step names an operation that is not declared"
"## What it does\nReports `op=<id>` on a step when no `dangerous_ops` entry has that ID.\n\n## Why is this bad?\nThe link from step to backout is broken, usually by a rename.\n\n## Example\n`op=restart-gw` with `dangerous_ops: [{id: restart-gateway, …}]`.\n\nUse instead: use the declared ID.";

"OB110" "step-tier-exceeds-op" Error "D-SAFE-BACKOUT" "a step's tier is higher than its operation's tier"
"## What it does\nReports a step whose `tier` is higher than the tier of the `dangerous_ops` entry it names.\n\n## Why is this bad?\nThe declared operation understates the danger: a T2 step under a T1 op skips the high-danger confirmation.\n\n## Example\nStep `tier=T2 op=rotate-key` with `rotate-key` declared `tier: T1`.\n\nUse instead: raise the op's tier to T2.";

"OB111" "safety-label-mismatch" Error "D-RB-TEMPLATE" "safety_label does not match the highest tier"
"## What it does\nChecks `safety_label` against the highest tier among steps and dangerous operations: only T0 ⇒ `read_only`, max T1 ⇒ `reversible`, any T2 ⇒ `irreversible`.\n\n## Why is this bad?\nThe label is what an operator (and `opsbook run`) reads first to decide whether a runbook is safe to start half-awake.\n\n## Example\n`safety_label: read_only` on a runbook with a T1 restart.\n\nUse instead: `safety_label: reversible`.";

"OB112" "bad-step-number" Error "D-RB-TEMPLATE" "a step number is not a positive integer, or is used twice"
"## What it does\nReports `step=N` used by more than one code block in a runbook, or a step number that is not a positive integer.\n\n## Why is this bad?\nBackouts and the timeline refer to steps by number; duplicates make those references ambiguous.\n\n## Example\nTwo blocks with `step=3`.\n\nUse instead: renumber.";

"OB113" "maturity-without-date" Error "D-RB-STALE" "maturity claims verification or a drill without the date"
"## What it does\nChecks that `maturity: verified` or `drilled` has `last_verified`, and `drilled` has `last_drilled`.\n\n## Why is this bad?\nA maturity claim without a date can never expire, so it can never be trusted.\n\n## Example\n`maturity: drilled` with `last_drilled: null`.\n\nUse instead: record the drill date, or lower the maturity.";

"OB114" "title-missing-ja" Warn "D-I18N" "a runbook title has no Japanese"
"## What it does\nReports runbooks whose `title` has no `ja` entry.\n\n## Why is this bad?\nThe runbook index and the console list titles in both languages.\n\n## Example\n`title: {en: Clock drift}`\n\nUse instead: `title: {en: Clock drift, ja: 時計ズレ}`.";

"OB201" "schema-violation" Error "D-CONTRACTS" "a file does not satisfy its contract"
"## What it does\nValidates every file of the SSOT against its JSON Schema (draft 2020-12) in `contracts/`: `opsbook.toml`, runbook front matter, `runbooks.yaml`, `coverage_matrix.yaml`, `drills.yaml`, postmortem front matter, incident events, policies and plans. The finding points at the line of the failing value and names its JSON pointer.\n\n## Why is this bad?\nEvery other check, and every later tool, relies on the shapes the contracts define. A typo such as `tier: T3` must fail in CI, not during an incident.\n\n## Example\n```yaml\nkind: TRIAGEE\n```\nUse instead: one of TRIAGE, MITIGATION, RECOVERY, DRILL, GOVERNANCE.";

"OB202" "no-contract" Warn "D-CONTRACTS" "a policy or plan file has no contract"
"## What it does\nReports `policy/*.yaml` and `plans/*.yaml` files for which no `policy-<name>` / `plan-<name>` contract exists.\n\n## Why is this bad?\nAn unvalidated policy is a policy whose typos nobody catches.\n\n## Example\n`policy/severty.yaml` (misspelt: no contract matches).\n\nUse instead: rename the file, or add `contracts/policy-<name>.schema.json`.";

"OB203" "redaction-class-invalid" Error "D-EVD-LIMITS" "a redaction class of the evidence policy cannot be used"
"## What it does\nCompiles each class of `policy/evidence.yaml` `redaction.classes` as the redaction does (Rust `regex` syntax) and reports a pattern that does not compile, whose shortest match is empty (`x*`, a bare `\\b`), or that matches only white space or line breaks (`\\n`, `\\s+`).\n\n## Why is this bad?\nRedaction fails closed: `opsbook evidence collect` refuses to run with such a class, so the broken pattern is found during an incident, when evidence is needed, instead of in CI.\n\n## Example\n`pattern: '(?<=token=)\\w+'` (look-behind: not supported)\n\nUse instead: `pattern: 'token=(?P<secret>\\w+)'`: the named group `secret` is what gets replaced.";

"OB204" "redaction-keyword-unused" Warn "D-EVD-LIMITS" "a redaction class's keywords do not appear in its pattern"
"## What it does\nReports a class of `policy/evidence.yaml` whose `keywords` list has no word that appears (ASCII case-insensitively) in the text of its pattern.\n\n## Why is this bad?\nA class with keywords runs only on 64 KiB blocks that contain one of them. A keyword the pattern's matches do not contain (a typo, an abbreviation) can make the class never run, silently, so what it should redact is shipped in clear.\n\n## Example\n`pattern: '(?i)account[_-]?no\\s*=\\s*(?P<secret>[0-9]{6,12})'` with `keywords: [acct]`\n\nUse instead: `keywords: [account]`, a word every match contains, or no `keywords` (the class then runs over every byte).";

"OB301" "unregistered-runbook" Error "D-GATE-REGISTRY" "a runbook file is not in runbooks.yaml"
"## What it does\nReports runbook files under `runbooks/` that have no entry in `runbooks/runbooks.yaml`.\n\n## Why is this bad?\nThe registry is the SSOT of what exists (seed §4.1.5). An unregistered runbook is invisible to the index, the coverage matrix and the drill plan.\n\n## Example\n`runbooks/platform/new.md` added without a registry entry.\n\nUse instead: add `- {id: RB-…, path: platform/new.md, status: active}`.";

"OB302" "registered-file-missing" Error "D-GATE-REGISTRY" "a registry entry points at a file that does not exist"
"## What it does\nReports entries of `runbooks.yaml` whose `path` is not a file under `runbooks/`.\n\n## Why is this bad?\nThe index would send the operator to a runbook that is not there.\n\n## Example\n`path: platform/time-drft.md`\n\nUse instead: fix the path, or remove the entry (deprecate instead of deleting a runbook others link to).";

"OB303" "duplicate-runbook-id" Error "D-GATE-REGISTRY" "a runbook ID or path is used twice"
"## What it does\nReports a runbook ID used by two files or two registry entries, and a path registered twice.\n\n## Why is this bad?\nAn ID must name one procedure; otherwise alerts and incidents link to whichever one a tool finds first.\n\n## Example\nTwo files with `runbook_id: RB-PLAT-TIME-DRIFT`.\n\nUse instead: give each runbook its own ID.";

"OB304" "registry-mismatch" Error "D-GATE-REGISTRY" "registry entry and front matter disagree"
"## What it does\nReports a registry entry whose `id` or `status` differs from the front matter of the file it points at.\n\n## Why is this bad?\nTwo sources of truth disagreeing is no source of truth.\n\n## Example\nRegistry says `status: active`, the file says `status: deprecated`.\n\nUse instead: update the registry.";

"OB305" "drill-unknown-runbook" Error "D-GATE-REGISTRY" "drills.yaml references a runbook that is not registered"
"## What it does\nReports drills whose `runbook` is not a registered runbook ID.\n\n## Why is this bad?\nA drill of a runbook that does not exist proves nothing.\n\n## Example\n`runbook: RB-QUICK-HALT` (the ID is `RB-QUICK-HALT-EVIDENCE`).\n\nUse instead: the registered ID.";

"OB401" "p0-coverage-hole" Error "D-GATE-COVERAGE" "a P0 symptom or alert has no active runbook"
"## What it does\nChecks that every P0 entry of `coverage_matrix.yaml` maps to at least one registered, active runbook.\n\n## Why is this bad?\nSeed §4.1.4 and §6: P0 holes must be zero. A P0 without a runbook is an operator improvising with real money at stake.\n\n## Example\n```yaml\n- id: COV-UNHEDGED\n  severity: P0\n  runbooks: []\n```\nUse instead: write the runbook and list its ID.";

"OB402" "coverage-hole" Warn "D-GATE-COVERAGE" "a P1/P2 symptom or alert has no active runbook"
"## What it does\nReports P1 and P2 coverage entries without a registered, active runbook.\n\n## Why is this bad?\nToday's P2 is tomorrow's P0 at 3 a.m.\n\n## Example\nA P1 entry with `runbooks: []`.\n\nUse instead: map it to a runbook, or remove the entry if the symptom no longer exists.";

"OB403" "coverage-unknown-runbook" Error "D-GATE-COVERAGE" "the coverage matrix names a runbook that is not registered"
"## What it does\nReports runbook IDs in `coverage_matrix.yaml` that are not in the registry, and duplicate entry IDs.\n\n## Why is this bad?\nThe matrix claims coverage that does not exist.\n\n## Example\n`runbooks: [RB-PLAT-TIME-DRIFTT]`\n\nUse instead: the registered ID.";

"OB404" "p0-alert-without-runbook" Error "D-GATE-COVERAGE" "a P0 alert's runbook link does not lead to an active runbook"
"## What it does\nFor the Prometheus rule files listed in `[gate] alerts`, checks where each alert's `runbook_url` (or `runbook`, in annotations or labels) leads, and maps the alert's `severity` label to P0/P1/P2 with `alert_severity_map` in `policy/severity.yaml` (a label missing from the map escalates to P0, see OB408). The link is one fact, the coverage matrix another (`opsbook coverage` shows both); a P0 alert fails when its link is:\n- `missing`: no `runbook_url` / `runbook` at all, even if the coverage matrix maps the alert;\n- `dead`: under `runbook_url_base` (or relative) but no registered runbook there — including a URL that drops the `runbooks/` part of the path;\n- `foreign`: an absolute URL outside `runbook_url_base`;\n- `anchor-missing`: the page exists but its `#fragment` is neither a heading slug (GitHub, Hugo or MkDocs rules, `{#id}` attributes) nor an explicit anchor (`<a id=…>`, `<a name=…>`).\n\nA link resolves when the path after the base is `runbooks/<registry path>` or the `original_path` that `opsbook adopt` recorded; `.md`, `.html` (for a `page.html.md` or `.html.md.erb` source) and index pages do not matter.\n\n## Why is this bad?\nThe page that wakes the operator must lead to the procedure: at 3 a.m. they click the link, they do not read the coverage matrix. A link to a page that does not exist, to someone else's wiki, or to an anchor the page lacks (one page \"covering\" every alert that links any anchor on it) looks covered and is not.\n\n## Example\n`runbook_url: https://runbooks.example.com/platform/time-drift` (the `runbooks/` part dropped), or `…/runbooks/platform/time-drift#resync` when the page has no such heading.\n\nUse instead: `runbook_url: https://runbooks.example.com/runbooks/platform/time-drift#mitigation--緩和` — a registered path and an anchor the page has.";

"OB405" "alert-without-runbook" Warn "D-GATE-COVERAGE" "a P1/P2 alert's runbook link does not lead to an active runbook"
"## What it does\nAs OB404 (missing, dead, foreign or anchor-missing links), for alerts that map to P1 or P2.\n\n## Why is this bad?\nAn alert without a working runbook link teaches operators to ignore alerts.\n\n## Example\nA warning alert with no `runbook_url`, or one linking a wiki page outside `runbook_url_base`.\n\nUse instead: link the registered runbook under `runbook_url_base`.";

"OB406" "templated-runbook-link" Warn "D-GATE-COVERAGE" "an alert's runbook link is templated and cannot be checked"
"## What it does\nReports alerts whose runbook link contains a template such as `{{ $labels.alertname }}`. They are reported as templated, never as covered.\n\n## Why is this bad?\nThe gate cannot know which runbook a template resolves to at alert time.\n\n## Example\n`runbook_url: https://runbooks.example.com/{{ $labels.alertname }}`\n\nUse instead: a literal link per alert, or list the alert in the coverage matrix.";

"OB407" "runbook-link-case-mismatch" Warn "D-GATE-COVERAGE" "an alert's runbook link finds its runbook only when letter case is ignored"
"## What it does\nReports alert links that name a registered runbook only when letter case is ignored: `runbooks/Platform/Time-Drift.md` for `runbooks/platform/time-drift.md`. A link with a Markdown extension names a file and must match exactly; a rendered page's URL may be all lower case (Hugo publishes URLs in lower case), any other difference is reported.\n\n## Why is this bad?\nGitHub, S3 and most web servers are case-sensitive: the link that opsbook can match answers 404 to the operator. It is counted as covered (the runbook is known) but not silently.\n\n## Example\n`runbook_url: https://github.com/acme/ops/blob/main/runbooks/Platform/Time-Drift.md`\n\nUse instead: the page's exact spelling, `…/runbooks/platform/time-drift.md`.";

"OB408" "alert-severity-unmapped" Warn "D-GATE-COVERAGE" "an alert's severity label is missing or not in alert_severity_map"
"## What it does\nReports alerts whose `labels.severity` is absent or a value that `alert_severity_map` in `policy/severity.yaml` does not list (e.g. `high`, `P1`, `sev2`). Such an alert is treated as P0 — unknowns escalate, as the severity policy's `missing_facts` rule says — so a missing runbook link fails the gate (OB404).\n\n## Why is this bad?\nA silent P2 for an alert nobody classified would let a paging alert go without a runbook. Treating it as P0 is safe but may not be what you meant.\n\n## Example\n`labels: {severity: high}` with a map of critical/warning/info.\n\nUse instead: `severity: critical` (or the value your map lists), or add `high: P1` to `alert_severity_map`.";

"OB501" "verification-expiring" Warn "D-GATE-EXPIRY" "last_verified is older than the warn interval"
"## What it does\nCompares `last_verified` with `--as-of` (default today, UTC) and the intervals in `plans/verification.yaml` (default: warn after 90 days). An adopted runbook's own review interval (`adopted.review_in`, e.g. `6 months`) replaces the warn interval: past its due date it warns.\n\n## Why is this bad?\nPlatforms drift; a runbook nobody has walked for months refers to hosts, flags and APIs that may no longer exist.\n\n## Example\n`last_verified: 2026-01-05` checked on 2026-06-01.\n\nUse instead: walk the runbook on the current platform and update `last_verified`.";

"OB502" "verification-expired" Error "D-GATE-EXPIRY" "last_verified is older than the fail interval"
"## What it does\nAs OB501, past the fail interval (default 180 days; for adopted runbooks, the review due date plus the difference between the plan's fail and warn intervals).\n\n## Why is this bad?\nSeed §4.1.4: expiry goes WARN → FAIL. An expired runbook must not be trusted during an incident.\n\n## Example\n`last_verified: 2025-01-05` checked on 2026-06-01.\n\nUse instead: verify it, or deprecate it.";

"OB503" "drill-expiring" Warn "D-GATE-EXPIRY" "last_drilled is older than the warn interval"
"## What it does\nCompares `last_drilled` with `--as-of` and `plans/verification.yaml` (default: warn after 120 days).\n\n## Why is this bad?\nA procedure that has not been practised is slow and error-prone when it is needed.\n\n## Example\n`last_drilled: 2026-01-05` checked on 2026-06-01.\n\nUse instead: run the drill (`runbooks/drills.yaml`) and record it.";

"OB504" "drill-expired" Error "D-GATE-EXPIRY" "last_drilled is older than the fail interval"
"## What it does\nAs OB503, past the fail interval (default 180 days).\n\n## Why is this bad?\nSee OB503.\n\n## Example\n`last_drilled: 2025-03-01` checked on 2026-06-01.\n\nUse instead: drill it now.";

"OB505" "never-verified" Warn "D-RB-STALE" "an active runbook has never been verified"
"## What it does\nReports active runbooks with `last_verified: null`: drafts, adopted runbooks, and the starter runbooks of `opsbook init`, which nobody has walked on your platform yet. The warning does not depend on the date.\n\n## Why is this bad?\nAn unverified procedure is a hypothesis.\n\n## Example\n`maturity: draft`, `last_verified: null`.\n\nUse instead: walk it on the current platform and record the date.";

"OB506" "implausible-date" Error "D-RB-STALE" "a verification or drill date does not parse or is after the as-of date"
"## What it does\nReports `last_verified` / `last_drilled` dates later than `--as-of`, and dates that do not parse.\n\n## Why is this bad?\nA future date silently postpones expiry.\n\n## Example\n`last_verified: 2062-11-01`.\n\nUse instead: the date the runbook was really verified.";

"OB507" "never-drilled" Warn "D-RB-STALE" "a runbook for a high-severity entry has never been drilled"
"## What it does\nReports active runbooks that a coverage entry of a severity listed in `drilled_required_for` (`plans/verification.yaml`, e.g. `[P0]`) routes to, and whose `last_drilled` is null.\n\n## Why is this bad?\nThe P0 runbook is the one read at 3 a.m. with money at risk; its first run must not be the real incident.\n\n## Example\n`drilled_required_for: [P0]` and the P0 runbook `RB-QUICK-HALT-EVIDENCE` with `last_drilled: null`.\n\nUse instead: run its drill (`runbooks/drills.yaml`) and record `last_drilled`.";

"OB601" "deprecated-without-replacement" Error "D-GATE-DEPRECATED" "a deprecated runbook has no replaced_by"
"## What it does\nChecks that every runbook with `status: deprecated` names its replacement in `replaced_by`.\n\n## Why is this bad?\nOld links (alerts, bookmarks, incident notes) keep arriving at deprecated runbooks; the stub must send the operator on.\n\n## Example\n`status: deprecated` and no `replaced_by`.\n\nUse instead: `replaced_by: RB-PLAT-TIME-DRIFT`.";

"OB602" "replacement-not-active" Error "D-GATE-DEPRECATED" "replaced_by names a missing or deprecated runbook"
"## What it does\nChecks that `replaced_by` is a registered, active runbook.\n\n## Why is this bad?\nA chain of stubs, or a stub pointing nowhere, strands the operator.\n\n## Example\n`replaced_by: RB-OLD-TWO`, itself deprecated.\n\nUse instead: point straight at the active runbook.";

"OB603" "routes-to-deprecated" Error "D-GATE-DEPRECATED" "something routes to a deprecated runbook"
"## What it does\nReports coverage entries, drills, alert links and `related` lists that name a deprecated runbook.\n\n## Why is this bad?\nRouting an incident to a stub costs minutes when minutes matter.\n\n## Example\nA coverage entry listing `RB-PLAT-CLOCK-SYNC-LEGACY`.\n\nUse instead: the replacement's ID.";

"OB701" "broken-link" Error "D-RB-INDEX" "a relative link in a runbook does not resolve"
"## What it does\nChecks that relative links and images in runbooks (`[x](../execution/reconciliation.md)`, `![w32tm](w32tm.png)`) point at existing files. URLs with a scheme (`https:`, `mailto:`, `tel:`, …) and e-mail autolinks (`<ops@example.com>`) are not files.\n\n## Why is this bad?\nCross-references are how the operator moves from triage to the right recovery runbook.\n\n## Example\n`[reconciliation](../exec/reconciliation.md)`\n\nUse instead: the correct relative path.";

"OB702" "unknown-related-runbook" Error "D-RB-INDEX" "related names a runbook that is not registered"
"## What it does\nChecks that every ID in a runbook's `related` list is a registered runbook.\n\n## Why is this bad?\nSee OB701.\n\n## Example\n`related: [RB-EXEC-RECON]` when the ID is `RB-EXEC-RECONCILIATION`.\n\nUse instead: the registered ID.";

"OB703" "safety-matrix-incomplete" Error "D-SAFE-MATRIX" "a state × action cell of the safety matrix is missing"
"## What it does\nChecks that `policy/safety-matrix.yaml` gives ALLOW, CONFIRM or DENY for every action in `actions` and every state in `policy/degraded.yaml`.\n\n## Why is this bad?\nSeed §2.1.4 requires a complete table. A missing cell is a question nobody answered before the incident.\n\n## Example\n`release_halt` with no value for `RECOVERING`.\n\nUse instead: decide the cell now, in daylight.";

"OB704" "safety-matrix-unknown" Error "D-SAFE-MATRIX" "the safety matrix names an unknown state or action"
"## What it does\nReports matrix rows for actions not declared in `actions`, and cells for states not in `policy/degraded.yaml`.\n\n## Why is this bad?\nA typo (`HALT` for `HALTED`) leaves the real cell undefined.\n\n## Example\n`place_new_order: {HALT: DENY}`\n\nUse instead: `HALTED`.";

"OB705" "safety-state-unreachable" Error "D-SAFE-SM" "a safety state cannot be reached from the initial state"
"## What it does\nChecks `policy/degraded.yaml`: every state is reachable from the initial state through the transitions, and transitions name declared states.\n\n## Why is this bad?\nA state nobody can enter is dead policy; a transition to an unknown state is a typo.\n\n## Example\n`SAFE_MODE` declared but no transition leads to it.\n\nUse instead: add the escalation transition.";

"OB706" "safety-state-no-way-back" Error "D-SAFE-SM" "a non-initial safety state has no way back"
"## What it does\nChecks that from every state the initial state (NORMAL) can be reached again.\n\n## Why is this bad?\nA state with no documented way out turns an incident into an outage.\n\n## Example\n`HALTED` with no transition to `RECOVERING`.\n\nUse instead: add the de-escalation path with its requirements.";

"OB801" "ledger-broken" Error "D-INC-LEDGER" "a hash-chained ledger does not verify"
"## What it does\nVerifies every ledger of the SSOT (`ledger/*.jsonl`, `incidents/<ID>/events.jsonl`): each line is an event whose SHA-256 (over its RFC 8785 canonical form) matches, whose `seq` follows the previous one and whose `prev_hash` is the previous hash. Names the first bad line: edited, removed, reordered, foreign, or torn (an interrupted write).\n\n## Why is this bad?\nThe incident timeline, the safety and freeze logs and the chain of custody are evidence. A ledger that does not verify cannot be trusted in a postmortem or an audit.\n\n## Example\nA timestamp corrected by hand in `events.jsonl`.\n\nUse instead: never edit a ledger; append a `correction` event that supersedes the earlier `seq`. A torn last line after a crash: `opsbook ledger repair PATH`.";

"OB802" "incident-event-contract" Error "D-INC-LEDGER" "an incident event does not satisfy the incident-event contract"
"## What it does\nValidates every line of `incidents/<ID>/events.jsonl` against `contracts/incident-event.schema.json`: the event shape, the type, and the data each type needs (a `reason` on every status change and decision, `from`/`to`, evidence `ref` + `sha256`, …).\n\n## Why is this bad?\nThe incident's state is the replay of its events; an event without its data (a status change without a reason, evidence without a hash) is a hole in the decision log that a postmortem cannot fill later.\n\n## Example\n`opsbook ledger append incidents/INC-20261129-001/events.jsonl --type status_changed --data '{\"to\":\"RESOLVED\"}'`\n\nUse instead: the `opsbook incident` commands, which write complete events and check the guards.";

"OB803" "incident-order" Error "D-ORDER" "an incident log breaks the status machine or the D-ORDER guards"
"## What it does\nReplays each incident and reports events that the `opsbook incident` commands would have refused: an illegal status transition (e.g. OPEN → RESOLVED), MITIGATING without a prior `safety_decision`, RESOLVED without evidence or without a passed recovery acceptance, a second `opened`, a correction of a later event, a log that does not start with `opened`.\n\n## Why is this bad?\nThe seed's order safe → evidence → observe → recover → verify → learn exists because skipping a step at 3 a.m. loses money or evidence. A log written around the guards (by hand, or by a script appending raw events) hides exactly that.\n\n## Example\nA `status_changed` to MITIGATING appended with `opsbook ledger append` before any safety decision.\n\nUse instead: `opsbook incident decide ID --safety STATE …` first, then `opsbook incident status ID MITIGATING --reason …`. Past mistakes stay in the log: add a `correction` event with the reason and baseline the finding.";

"OB804" "closed-without-postmortem" Error "D-LEARN" "a closed P0/P1 incident has no postmortem"
"## What it does\nChecks that every CLOSED P0 or P1 incident has a `postmortem_attached` event and that `incidents/<ID>/postmortem.md` exists.\n\n## Why is this bad?\nSeed §3.3: every serious incident ends in improvements to runbooks, policies, tests, monitoring or the implementation. Without a postmortem the same incident comes back.\n\n## Example\nA P1 closed by appending raw events, or whose `postmortem.md` was deleted.\n\nUse instead: `opsbook postmortem new ID`, fill it in, `opsbook incident close ID --reason …`.";

"OB805" "action-item-vague" Error "D-LEARN" "a postmortem action item is an intention, not an artifact"
"## What it does\nRejects action items whose description (or target) says \"be careful\", \"pay attention\", \"気をつける\", \"注意する\", \"徹底する\" and their kin, inflected and intensified (\"paying attention\", \"pay closer attention\", \"be extra careful\", \"take great care\", \"exercise caution\"; see `VAGUE_PHRASES` and `VAGUE_PATTERNS` in opsbook-core).\n\n## Why is this bad?\nAn intention changes nothing that the next tired operator at 3 a.m. can use. Only a changed runbook, policy, test, alert or component prevents a repeat (seed §3.3).\n\n## Example\n`description: \"Operators must be careful when restarting the gateway\"`\n\nUse instead: `description: \"Add step 2 to RB-PLAT-TIME-DRIFT: check w32tm /query /status before restarting OrderGateway\"`.";

"OB806" "action-item-unknown-target" Error "D-LEARN" "a postmortem action item targets something that does not exist"
"## What it does\nChecks each action item's `target`: a runbook ID must be registered, a drill ID must be in `runbooks/drills.yaml`, a path must exist in the SSOT, a `policy` item must name a policy that exists, a `monitoring` item must name an alert of the alert rules or the coverage matrix. Test names and components (not paths) are not checked.\n\n## Why is this bad?\nAn item that points at nothing cannot be verified as done: it is a vague item in disguise.\n\n## Example\n`type: runbook, target: RB-PLAT-CLOCK` when the runbook is `RB-PLAT-TIME-DRIFT`.\n\nUse instead: the registered ID, or add the alert to the rules first when the item is to create it.";

"OB807" "action-item-done-without-ref" Error "D-LEARN" "a done action item has no done_ref"
"## What it does\nChecks that every action item with `status: done` carries a `done_ref`: the commit, pull request, file or runbook ID that proves it.\n\n## Why is this bad?\n\"Done\" without a reference cannot be checked, and unchecked improvements are how the same incident happens twice.\n\n## Example\n`status: done` and `done_ref: null`.\n\nUse instead: `done_ref: \"https://git.example.com/ops/pull/412\"` or a commit hash.";

"OB808" "action-item-overdue" Warn "D-LEARN" "an open postmortem action item is past its due date"
"## What it does\nReports open and in-progress action items whose `due` date has passed, as a warning for `[incidents] action_overdue_error_days` (default 14) days; after that the item is reported as OB809, an error.\n\n## Why is this bad?\nImprovements that never land are the postmortem as a formality the seed warns about.\n\n## Example\n`due: 2026-12-06`, `status: open`, checked on 2026-12-10.\n\nUse instead: finish it (`status: done` with a `done_ref`), or move `due` and say why in the postmortem.";

"OB809" "action-item-long-overdue" Error "D-LEARN" "an open postmortem action item is long past its due date"
"## What it does\nThe error stage of OB808: an open action item more than `[incidents] action_overdue_error_days` (default 14) days past due.\n\n## Why is this bad?\nSee OB808: the gate stops treating it as a reminder.\n\n## Example\n`due: 2026-11-01`, `status: in_progress`, checked on 2026-12-10.\n\nUse instead: finish it, or re-plan it explicitly (new `due`, reason in the postmortem).";

"OB810" "safety-order" Error "D-SAFE-SM" "the safety ledger records a transition the state machine does not allow"
"## What it does\nReplays `ledger/safety.jsonl` against `policy/degraded.yaml`: every `state_entered` must leave the state the ledger was in, by a transition the policy lists; an automatic source (`auto:NAME`) only on an automatic escalation; a de-escalation only with evidence.\n\n## Why is this bad?\nThe safety ledger is what `opsbook safety can` and the freeze trust. An event appended around `opsbook safety set` (e.g. with `opsbook ledger append`) can claim NORMAL while the platform is halted, and everything would be allowed.\n\n## Example\n`opsbook ledger append ledger/safety.jsonl --type state_entered --data '{\"state\":\"NORMAL\",\"from\":\"HALTED\"}'`\n\nUse instead: `opsbook safety set STATE --reason … --evidence …` (it checks the guards), or `--manual` when the platform was switched by hand.";

"OB901" "changed-files" Info "D-GATE-SUMMARY" "the changed-file summary against --base"
"## What it does\nWith `--base REF`, lists the files changed against the git ref (committed, staged, unstaged and untracked), each with its kind (runbook, policy, plan, …), in every report format, and appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when that is set. When the summary cannot be made (not a git work tree, unknown ref) the gate stops with exit 2: a CI gate that silently skips its summary would hide documentation changes.\n\n## Why is this bad?\nSeed §4.1.6: documentation changes must always be visible in the CI summary, so reviewers see which runbooks and policies a change touches.\n\n## Example\n`opsbook gate --base origin/mian`\n\nUse instead: a ref that exists (`git fetch --depth=1 origin main` first in shallow CI clones).";
}

/// Looks a rule up by code (`OB101`) or name (`missing-section`), case-insensitively.
#[must_use]
pub fn lookup(key: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(key) || r.name.eq_ignore_ascii_case(key))
}

/// The closest code or name to a mistyped key, for "did you mean" hints.
#[must_use]
pub fn suggest(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    RULES
        .iter()
        .flat_map(|r| [r.code, r.name])
        .map(|c| (edit_distance(&key, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters (shared with the CLI's suggestions).
pub(crate) use opsbook_core::text::edit_distance;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_and_names_are_unique_and_docs_complete() {
        let mut codes = BTreeSet::new();
        let mut names = BTreeSet::new();
        let mut last = "";
        for r in RULES {
            assert!(codes.insert(r.code), "duplicate code {}", r.code);
            assert!(names.insert(r.name), "duplicate name {}", r.name);
            assert!(r.code > last, "RULES not sorted at {}", r.code);
            last = r.code;
            for h in ["## What it does", "## Why is this bad?", "## Example"] {
                assert!(r.doc.contains(h), "{} lacks {h}", r.code);
            }
            assert!(
                r.doc.contains("Use instead") || r.code == "OB504",
                "{} lacks a fix",
                r.code
            );
            assert!(
                r.requirement.starts_with("D-"),
                "{} has no requirement ID",
                r.code
            );
            assert!(
                r.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
            );
        }
    }

    #[test]
    fn lookup_and_suggest() {
        assert_eq!(lookup("ob101").unwrap().name, "missing-section");
        assert_eq!(lookup("broken-link").unwrap().code, "OB701");
        assert_eq!(suggest("OB10"), Some("OB101"));
        assert_eq!(suggest("brokn-link"), Some("broken-link"));
        assert_eq!(suggest("completely-unrelated-words"), None);
    }
}
