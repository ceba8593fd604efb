//! The report opened in a real browser: headless Chromium (Debian's `chromium`) dumps the DOM
//! after the page's script has run, takes screenshots and prints to PDF. The numbers in the
//! DOM must equal the `--json` report's; untrusted text must show as text with no script run.
//! Without chromium these tests are ignored (see build.rs); under `CI=true` they fail.
#![allow(clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{bundle_with_failures, report_and_json, MESSAGE};
use crate::util::fixture;

/// A program on PATH; under `CI=true` a missing one is a failure (`.ci/run` installs it).
fn tool(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!("{name} is not installed: apt-get install -y chromium poppler-utils")
    })
}

/// Runs a command, killing it after a minute (a browser that hangs fails the test).
fn run(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{cmd:?} did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// Headless Chromium on a page from disk, with a fresh profile and no network services.
fn chromium(page: &Path, args: &[&str]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let o = run(Command::new(tool("chromium"))
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            // The page's script runs on load; this lets it finish before the dump.
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display())));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn dump_dom(page: &Path) -> String {
    String::from_utf8(chromium(page, &["--dump-dom"]).stdout).unwrap()
}

/// The text right after `marker` up to the next tag.
fn after(dom: &str, marker: &str) -> String {
    let at = dom
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in the page"));
    let rest = &dom[at + marker.len()..];
    rest[..rest.find('<').unwrap()].to_owned()
}

fn by_id(dom: &str, id: &str) -> String {
    after(dom, &format!(r#"id="{id}">"#))
}

fn cell(dom: &str, key: &str) -> String {
    after(dom, &format!(r#"data-cell="{key}">"#))
}

/// A JSON number or string as the page writes it (`null` as the page's dash).
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "–".to_owned(),
        other => other.to_string(),
    }
}

/// The table's rows on the first page, and the script's own counts of the embedded rows.
fn check_table(dom: &str, rows: u64, valid: u64) {
    assert!(
        dom.contains(&format!(r#"data-table-rows="{rows}""#)),
        "the page's script did not run to its end"
    );
    let body = &dom[dom.find(r#"<tbody id="rows">"#).unwrap()..];
    let body = &body[..body.find("</tbody>").unwrap()];
    assert_eq!(body.matches("<tr").count() as u64, rows.min(100));
    if valid > 0 {
        assert_eq!(
            after(dom, r#"data-verdict-count="valid">"#),
            format!("valid {valid}")
        );
    }
}

/// Every number of a bundle's page against the `verify --json` document.
fn check_bundle_page(doc: &Value, dom: &str) {
    assert!(dom.contains(&format!(r#"data-result="{}""#, shown(&doc["result"]))));
    let entries = doc["entries"].as_u64().unwrap();
    let valid = doc["valid"].as_u64().unwrap();
    let failed = entries - valid;
    assert_eq!(by_id(dom, "count-addresses"), entries.to_string());
    assert_eq!(by_id(dom, "count-valid"), valid.to_string());
    assert_eq!(by_id(dom, "count-failed"), failed.to_string());
    assert_eq!(
        by_id(dom, "count-file-problems"),
        (doc["failure_count"].as_u64().unwrap() - failed).to_string()
    );
    let totals = doc["totals"].as_object().unwrap();
    assert!(!totals.is_empty());
    for (key, t) in totals {
        for (column, field) in [
            ("addresses", "entries"),
            ("proven", "valid"),
            ("proven_amount", "claimed_valid"),
            ("failed", "invalid"),
            ("failed_amount", "claimed_invalid"),
            ("without_amount", "valid_without_amount"),
        ] {
            assert_eq!(
                cell(dom, &format!("{key}|{column}")),
                shown(&t[field]),
                "{key} {column}"
            );
        }
    }
    let results = doc["results"].as_array().unwrap();
    let valid_rows = results.iter().filter(|r| r["verdict"] == "valid").count();
    check_table(dom, results.len() as u64, valid_rows as u64);
    assert_eq!(
        after(dom, r#"id="fact-sha256"><bdi class="untrusted">"#),
        shown(&doc["challenge_sha256"])
    );
}

fn page_of(dir: &Path) -> PathBuf {
    dir.join("report.html")
}

#[test]
#[cfg_attr(chromium_missing, ignore = "needs chromium")]
fn a_valid_bundle_shows_the_json_reports_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (doc, code, _) = report_and_json(
        dir.path(),
        &fixture("bundles/ledger-speculos.jsonl"),
        &["--message", MESSAGE],
    );
    assert_eq!(code, 0);
    let dom = dump_dom(&page_of(dir.path()));
    check_bundle_page(&doc, &dom);
    assert!(dom.contains(r#"<p id="no-failures">None.</p>"#));
}

#[test]
#[cfg_attr(chromium_missing, ignore = "needs chromium")]
fn a_bundle_with_failures_shows_them_first_with_the_json_reports_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let file = bundle_with_failures(dir.path());
    let (doc, code, _) = report_and_json(dir.path(), &file, &["--message", MESSAGE]);
    assert_eq!(code, 1);
    let dom = dump_dom(&page_of(dir.path()));
    check_bundle_page(&doc, &dom);
    let failures = &dom[dom.find(r#"<section id="failures">"#).unwrap()..];
    let failures = &failures[..failures.find("</section>").unwrap()];
    for f in doc["failures"].as_array().unwrap() {
        assert!(
            failures.contains(&format!("<td class=\"num\">{}</td>", f["line"]))
                || f["entry"].is_null()
        );
        if let Some(address) = f["address"].as_str() {
            assert!(
                failures.contains(address),
                "{address} not in the failure list"
            );
        }
    }
    assert!(
        failures.contains("footer"),
        "the file-level problem is listed"
    );
}

#[test]
#[cfg_attr(chromium_missing, ignore = "needs chromium")]
fn okx_samples_show_the_json_reports_numbers_and_summary_block() {
    for (file, expected_code) in [("okx/layout-9.csv", 0), ("okx/layout-12-staking.csv", 1)] {
        let dir = tempfile::tempdir().unwrap();
        let (doc, code, _) = report_and_json(dir.path(), &fixture(file), &[]);
        assert_eq!(code, expected_code, "{file}");
        let dom = dump_dom(&page_of(dir.path()));
        assert!(dom.contains(&format!(r#"data-result="{}""#, shown(&doc["result"]))));
        let n = |k: &str| doc[k].as_u64().unwrap();
        assert_eq!(by_id(&dom, "count-addresses"), n("rows").to_string());
        assert_eq!(by_id(&dom, "count-valid"), n("proven").to_string());
        assert_eq!(by_id(&dom, "count-failed"), n("failed").to_string());
        assert_eq!(
            by_id(&dom, "count-not-proven"),
            (n("owner_attested") + n("status_excluded")).to_string()
        );
        assert_eq!(
            by_id(&dom, "count-summary-mismatches"),
            n("summary_mismatches").to_string()
        );
        for c in doc["coins"].as_array().unwrap() {
            let coin = c["coin"].as_str().unwrap();
            for (column, field) in [
                ("addresses", "rows"),
                ("proven", "proven"),
                ("proven_amount", "amount_proven"),
                ("failed", "failed"),
                ("owner_attested", "owner_attested"),
                ("owner_attested_amount", "amount_owner_attested"),
                ("listed_amount", "amount"),
            ] {
                assert_eq!(
                    cell(&dom, &format!("{coin}|{column}")),
                    shown(&c[field]),
                    "{file} {coin} {column}"
                );
            }
        }
        let block = doc["summary_block"].as_array().unwrap();
        assert!(!block.is_empty());
        for s in block {
            let coin = s["coin"].as_str().unwrap();
            assert_eq!(
                cell(&dom, &format!("summary|{coin}|block")),
                shown(&s["block_amount"])
            );
            assert_eq!(
                cell(&dom, &format!("summary|{coin}|detail")),
                shown(&s["detail_amount"])
            );
            assert_eq!(
                cell(&dom, &format!("summary|{coin}|status")),
                shown(&s["status"])
            );
        }
        check_table(&dom, n("rows"), n("proven"));
    }
}

/// Exact decimal arithmetic for the expected diff, in units of 10^-18.
fn units(amount: &str) -> i128 {
    let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
    int.parse::<i128>().unwrap() * 10i128.pow(18) + format!("{frac:0<18}").parse::<i128>().unwrap()
}

fn decimal(v: i128, signed: bool) -> String {
    let sign = if v < 0 {
        "-"
    } else if signed && v > 0 {
        "+"
    } else {
        ""
    };
    let (whole, frac) = (v.abs() / 10i128.pow(18), v.abs() % 10i128.pow(18));
    let frac = format!("{frac:018}");
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac}")
    }
}

#[test]
#[cfg_attr(chromium_missing, ignore = "needs chromium")]
fn previous_shows_added_removed_changed_and_the_change_of_each_total() {
    let dir = tempfile::tempdir().unwrap();
    let current = fixture("bundles/ledger-speculos.jsonl");
    // Last period: the first entry claimed another amount, the second was not there, and an
    // address since removed was.
    let text = std::fs::read_to_string(&current).unwrap();
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines[1]["amount"] = Value::from("0.25");
    let mut gone = lines[1].clone();
    gone["address"] = Value::from("1BoatSLRHtKNngkdXEeobR76b53LETtpyT");
    gone["amount"] = Value::from("7.125");
    lines.remove(2);
    lines.insert(2, gone);
    let previous = dir.path().join("previous.jsonl");
    let old_text: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(&previous, old_text.join("\n") + "\n").unwrap();
    let (doc, _, _) = report_and_json(
        dir.path(),
        &current,
        &[
            "--message",
            MESSAGE,
            "--previous",
            previous.to_str().unwrap(),
        ],
    );
    let dom = dump_dom(&page_of(dir.path()));
    check_bundle_page(&doc, &dom);
    // The expected changes, from both files' results in `verify --json`.
    let o = crate::cli::porsign(
        &[
            "--json",
            "verify",
            previous.to_str().unwrap(),
            "--message",
            MESSAGE,
        ],
        dir.path(),
    );
    let old_doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let listing = |d: &Value| -> Vec<(String, String, String)> {
        d["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let asset = format!("{}/{}", shown(&r["chain"]), shown(&r["network"]));
                (asset, shown(&r["address"]), shown(&r["amount"]))
            })
            .collect()
    };
    let (old, new) = (listing(&old_doc), listing(&doc));
    let find = |l: &[(String, String, String)], a: &str| l.iter().find(|e| e.1 == a).cloned();
    let added = new.iter().filter(|e| find(&old, &e.1).is_none()).count();
    let removed = old.iter().filter(|e| find(&new, &e.1).is_none()).count();
    let changed = new
        .iter()
        .filter(|e| find(&old, &e.1).is_some_and(|o| o.2 != "–" && units(&o.2) != units(&e.2)))
        .count();
    assert_eq!((added, removed, changed), (1, 1, 1));
    assert_eq!(by_id(&dom, "diff-added"), added.to_string());
    assert_eq!(by_id(&dom, "diff-removed"), removed.to_string());
    assert_eq!(by_id(&dom, "diff-changed"), changed.to_string());
    for asset in ["bitcoin/mainnet", "bitcoin/testnet", "ethereum/mainnet"] {
        let sum = |l: &[(String, String, String)]| {
            l.iter()
                .filter(|e| e.0 == asset && e.2 != "–")
                .map(|e| units(&e.2))
                .sum::<i128>()
        };
        let count = |l: &[(String, String, String)]| l.iter().filter(|e| e.0 == asset).count();
        let (before, now) = (sum(&old), sum(&new));
        let key = |c: &str| format!("diff|{asset}|{c}");
        assert_eq!(
            cell(&dom, &key("previous_addresses")),
            count(&old).to_string()
        );
        assert_eq!(
            cell(&dom, &key("current_addresses")),
            count(&new).to_string()
        );
        if asset == "bitcoin/testnet" {
            continue; // its one entry claims no amount: no total to state
        }
        assert_eq!(cell(&dom, &key("previous_total")), decimal(before, false));
        assert_eq!(cell(&dom, &key("current_total")), decimal(now, false));
        assert_eq!(
            cell(&dom, &key("change")),
            decimal(now - before, true),
            "{asset}"
        );
    }
}

/// A bundle whose custodian and addresses carry markup and bidi overrides. The injected code
/// would set `data-xss` on the root element; its own text spells the name in two pieces, so
/// only running it can put `data-xss` in the DOM.
fn hostile_bundle(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture("bundles/ledger-speculos.jsonl")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let payload = "document.documentElement.setAttribute('data-x'+'ss','hit')";
    let mut header = lines[0].clone();
    header["custodian"] = Value::from(format!("<img src=x onerror=\"{payload}\">"));
    let mut out = vec![header.to_string()];
    for (i, address) in [
        format!("<script>{payload}</script>"),
        format!("\"><img src=x onerror=\"{payload}\">"),
        "bc1q\u{202e}lave\u{2066}xyz\u{200b}".to_owned(),
    ]
    .iter()
    .enumerate()
    {
        let mut e = lines[1].clone();
        e["index"] = Value::from(i);
        e["address"] = Value::from(address.as_str());
        out.push(e.to_string());
    }
    let path = dir.join("hostile.jsonl");
    std::fs::write(&path, out.join("\n") + "\n").unwrap();
    path
}

#[test]
#[cfg_attr(chromium_missing, ignore = "needs chromium")]
fn hostile_text_shows_as_text_and_no_injected_script_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = hostile_bundle(dir.path());
    let (_, code, html) = report_and_json(dir.path(), &file, &["--message", MESSAGE]);
    assert_eq!(code, 1);
    let page = page_of(dir.path());
    let dom = dump_dom(&page);
    // The page's own script ran (under its CSP), the injected code did not.
    assert!(dom.contains(r#"data-table-rows="3""#));
    assert!(!dom.contains("data-xss"), "injected script ran");
    assert!(
        !dom.contains("<img src=\"x\""),
        "injected markup became an element"
    );
    // Shown as text: in the failure list, the address table and the custodian fact.
    assert!(
        dom.matches("&lt;script&gt;document.documentElement")
            .count()
            >= 2
    );
    assert!(dom.contains("&lt;img src=x onerror="));
    // Bidi overrides and invisible characters show as escapes, never raw.
    for raw in ['\u{202e}', '\u{2066}', '\u{200b}'] {
        assert!(!dom.contains(raw), "raw {raw:?} in the DOM");
    }
    assert!(dom.contains(r"bc1q\u{202e}lave\u{2066}xyz\u{200b}"));
    // Escaping alone holds: the same page without its Content-Security-Policy.
    let start = html
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .unwrap();
    let end = start + html[start..].find('>').unwrap() + 1;
    let open = dir.path().join("no-csp.html");
    std::fs::write(&open, format!("{}{}", &html[..start], &html[end..])).unwrap();
    let dom = dump_dom(&open);
    assert!(dom.contains(r#"data-table-rows="3""#));
    assert!(
        !dom.contains("data-xss"),
        "injected script ran without the CSP"
    );
    assert!(!dom.contains("<img src=\"x\""));
}

#[test]
#[cfg_attr(chromium_missing, ignore = "needs chromium")]
fn the_pdf_has_pages_with_the_totals_on_page_one_and_a_screenshot_renders() {
    let dir = tempfile::tempdir().unwrap();
    let (doc, _, _) = report_and_json(
        dir.path(),
        &fixture("bundles/ledger-speculos.jsonl"),
        &["--message", MESSAGE],
    );
    let page = page_of(dir.path());
    let pdf = dir.path().join("report.pdf");
    chromium(
        &page,
        &[
            "--no-pdf-header-footer",
            &format!("--print-to-pdf={}", pdf.display()),
        ],
    );
    let o = run(Command::new(tool("pdftoppm"))
        .args(["-r", "40", "-png"])
        .arg(&pdf)
        .arg(dir.path().join("page")));
    assert!(o.status.success());
    let pages = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.starts_with("page") && name.ends_with(".png")
        })
        .count();
    assert!(pages >= 2, "{pages} pages");
    let o = run(Command::new(tool("pdftotext"))
        .args(["-f", "1", "-l", "1", "-layout"])
        .arg(&pdf)
        .arg("-"));
    let first = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(first.contains("Totals per asset"), "{first}");
    for (key, t) in doc["totals"].as_object().unwrap() {
        assert!(first.contains(key.as_str()), "{key} not on page 1");
        assert!(
            first.contains(t["claimed_valid"].as_str().unwrap()),
            "{first}"
        );
    }
    // A screenshot: a PNG of the rendered page.
    let shot = dir.path().join("shot.png");
    chromium(
        &page,
        &[
            "--window-size=1280,1600",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(png.len() > 30_000, "{} bytes", png.len());
}
