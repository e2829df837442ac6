//! Archives (issue 10, item 1): tar, tar.gz, tar inside ZIP, recognised by
//! content; every member scanned and redacted and the archive rebuilt, or
//! the archive excluded with the reason; random nested archives with planted
//! fake secrets never leak one.

use std::io::Write as _;

use super::*;

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A tar of `(name, content)` members (GNU headers, as GNU tar writes).
fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, content) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o640);
        h.set_mtime(1_764_383_400);
        h.set_cksum();
        b.append_data(&mut h, name, *content).unwrap();
    }
    b.into_inner().unwrap()
}

/// The members of a tar: `(name, mode, mtime, content)`.
fn untar(b: &[u8]) -> Vec<(String, u32, u64, Vec<u8>)> {
    let mut a = tar::Archive::new(b);
    a.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().display().to_string();
            let (mode, mtime) = (e.header().mode().unwrap(), e.header().mtime().unwrap());
            let mut c = Vec::new();
            e.read_to_end(&mut c).unwrap();
            (name, mode, mtime, c)
        })
        .collect()
}

fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in members {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(content).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn unzip(b: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(b)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut c = Vec::new();
            f.read_to_end(&mut c).unwrap();
            (f.name().unwrap().to_string(), c)
        })
        .collect()
}

fn excluded(b: &[u8]) -> String {
    match rs().redact_file(b, &ArchiveLimits::default(), None) {
        FileOutcome::Excluded { reason } => reason,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_tar_is_recognised_by_content_and_rebuilt_around_its_redacted_member() {
    let quiet: &[u8] = b"2026-11-29 all quiet\n";
    let long_name = format!("logs/{}/gateway.log", "deep".repeat(30));
    let t = tar(&[
        ("logs/quiet.log", quiet),
        (&long_name, b"X-MBX-APIKEY: AKfakeTarMember01\r\n"),
        ("logs/after.log", b"after\n"),
    ]);
    assert_eq!(&t[257..262], b"ustar");
    let (out, encoding, hits) = kept(&t);
    assert_eq!(encoding, Encoding::Tar);
    let where_: Vec<(&str, usize, Option<&str>)> = hits
        .iter()
        .map(|h| (h.rule.as_str(), h.line, h.member.as_deref()))
        .collect();
    assert_eq!(where_, [("labelled_secret", 1, Some(long_name.as_str()))]);
    let members = untar(&out);
    assert_eq!(members.len(), 3);
    assert_eq!(
        members[0],
        (
            "logs/quiet.log".into(),
            0o640,
            1_764_383_400,
            quiet.to_vec()
        )
    );
    assert_eq!(
        members[1],
        (
            long_name.clone(),
            0o640,
            1_764_383_400,
            b"X-MBX-APIKEY: [REDACTED:labelled_secret]\r\n".to_vec()
        )
    );
    assert_eq!(members[2].3, b"after\n");
    // The members around it are the very same bytes (headers included).
    assert_eq!(&out[..1024], &t[..1024], "first member untouched");
    assert!(
        rs().scan_file(&out, &ArchiveLimits::default(), None)
            .unwrap()
            .is_empty()
    );
    // A clean tar is kept byte for byte.
    let clean = tar(&[("a.log", quiet)]);
    assert_eq!(kept(&clean).0, clean);
}

#[test]
fn an_old_v7_tar_without_ustar_is_recognised_by_its_checksum() {
    let mut h = tar::Header::new_old();
    let body: &[u8] = b"password=AKfakeV7Member01\n";
    h.set_path("v7.log").unwrap();
    h.set_size(body.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, body).unwrap();
    let t = b.into_inner().unwrap();
    assert_ne!(&t[257..262], b"ustar");
    let (out, encoding, _) = kept(&t);
    assert_eq!(encoding, Encoding::Tar);
    assert_eq!(untar(&out)[0].3, b"password=[REDACTED:labelled_secret]\n");
}

#[test]
fn tgz_tar_in_gzip_and_tar_in_zip_are_opened_and_rebuilt() {
    let inner = tar(&[("app.log", b"token: AKfakeTgzMember01\n".as_slice())]);
    // .tar.gz / .tgz
    let (out, encoding, hits) = kept(&gz(&inner));
    assert_eq!(encoding, Encoding::Gzip);
    assert_eq!(hits[0].member.as_deref(), Some("(gzip content) > app.log"));
    assert_eq!(
        untar(&gunzip(&out))[0].3,
        b"token: [REDACTED:labelled_secret]\n"
    );
    // A tar inside a ZIP, next to a member that stays as it was.
    let z = zip(&[("bundle/logs.tar", &inner), ("bundle/readme.txt", b"ok\n")]);
    let (out, encoding, hits) = kept(&z);
    assert_eq!(encoding, Encoding::Zip);
    assert_eq!(hits[0].member.as_deref(), Some("bundle/logs.tar > app.log"));
    let members = unzip(&out);
    assert_eq!(members[0].0, "bundle/logs.tar");
    assert_eq!(
        untar(&members[0].1)[0].3,
        b"token: [REDACTED:labelled_secret]\n"
    );
    assert_eq!(members[1], ("bundle/readme.txt".into(), b"ok\n".to_vec()));
    // A .tgz inside a ZIP: three levels.
    let (out, _, _) = kept(&zip(&[("rotated.tgz", &gz(&inner))]));
    let members = unzip(&out);
    assert_eq!(
        untar(&gunzip(&members[0].1))[0].3,
        b"token: [REDACTED:labelled_secret]\n"
    );
}

#[test]
fn what_cannot_be_opened_or_rewritten_is_excluded_with_the_reason() {
    // Too deep: five levels of gzip.
    let mut deep = b"password=AKfakeDeepMember1\n".to_vec();
    for _ in 0..5 {
        deep = gz(&deep);
    }
    assert!(excluded(&deep).contains("nested deeper than 4 levels"));
    // A member whose name holds a secret.
    let t = tar(&[("token=AKfakeNameSecret1.log", b"ok\n".as_slice())]);
    let reason = excluded(&t);
    assert!(reason.contains("member name"), "{reason}");
    assert!(!reason.contains("AKfakeNameSecret1"), "{reason}");
    // A member that is binary.
    let z = zip(&[("core.dmp", &[0u8, 159, 146, 150, 0, 1][..])]);
    assert_eq!(
        excluded(&z),
        "ZIP member `core.dmp`: binary or undecodable (not UTF-8 or UTF-16 text): cannot be scanned, so not shipped"
    );
    // Formats opsbook does not open say so.
    let xz = [0xFD, b'7', b'z', b'X', b'Z', 0x00, 0, 0];
    assert!(
        excluded(&xz).starts_with("xz-compressed"),
        "{}",
        excluded(&xz)
    );
}

/// A random archive tree: leaves are text members, some with a planted fake
/// secret; inner nodes are tar, gzip or ZIP.
#[derive(Debug, Clone)]
enum Tree {
    Leaf(String),
    Tar(Vec<Tree>),
    Gz(Box<Tree>),
    Zip(Vec<Tree>),
}

impl Tree {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Tree::Leaf(s) => s.clone().into_bytes(),
            Tree::Gz(t) => gz(&t.bytes()),
            Tree::Tar(ts) => members(ts, "m", ".dat", tar),
            Tree::Zip(ts) => members(ts, "z", ".bin", zip),
        }
    }
}

/// `pack` of the trees' bytes as members `{prefix}{i}{ext}`.
/// An archive writer: members `(name, content)` to bytes.
type Pack = fn(&[(&str, &[u8])]) -> Vec<u8>;

fn members(ts: &[Tree], prefix: &str, ext: &str, pack: Pack) -> Vec<u8> {
    let owned: Vec<(String, Vec<u8>)> = ts
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("{prefix}{i}{ext}"), t.bytes()))
        .collect();
    let refs: Vec<(&str, &[u8])> = owned
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    pack(&refs)
}

/// Every leaf's text, opening archives by content (gzip, ZIP, tar).
fn leaves(b: &[u8], out: &mut Vec<Vec<u8>>) {
    if b.starts_with(&[0x1f, 0x8b]) {
        leaves(&gunzip(b), out);
    } else if b.starts_with(b"PK") {
        for (_, c) in unzip(b) {
            leaves(&c, out);
        }
    } else if b.len() >= 512 && &b[257..262] == b"ustar" {
        for (_, _, _, c) in untar(b) {
            leaves(&c, out);
        }
    } else {
        out.push(b.to_vec());
    }
}

fn tree() -> impl proptest::strategy::Strategy<Value = Tree> {
    use proptest::prelude::*;
    let leaf = (
        "[a-z0-9 :=._-]{0,60}",
        proptest::option::of(0usize..6),
        "[A-Za-z0-9]{4}",
    )
        .prop_map(|(filler, secret, tag)| {
            let planted = secret.map(|k| match k {
                0 => format!("password=AKfakeLeaf{tag}01"),
                1 => format!("X-MBX-APIKEY: AKfakeLeaf{tag}02"),
                2 => format!("{{\"api_secret\": \"AKfakeLeaf{tag}03\"}}"),
                3 => format!("$env:OKX_KEY = \"AKfakeLeaf{tag}04\""),
                4 => format!("https://api.telegram.org/bot12345:AKfakeLeaf{tag}05/getMe"),
                _ => format!("ConvertTo-SecureString 'AKfakeLeaf{tag}06' -AsPlainText"),
            });
            match planted {
                Some(p) => Tree::Leaf(format!("{filler}\r\n{p}\r\n{filler}\n")),
                None => Tree::Leaf(format!("{filler}\n")),
            }
        });
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..4).prop_map(Tree::Tar),
            inner.clone().prop_map(|t| Tree::Gz(Box::new(t))),
            proptest::collection::vec(inner, 1..4).prop_map(Tree::Zip),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]

    /// Random archives (tar, tgz, zip, nested) with planted fake secrets:
    /// whatever is kept holds none of them, rescans clean, and a tree
    /// without secrets comes back byte for byte.
    #[test]
    fn random_nested_archives_never_leak_a_planted_secret(t in tree()) {
        let bytes = t.bytes();
        match rs().redact_file(&bytes, &ArchiveLimits::default(), None) {
            FileOutcome::Excluded { reason } => {
                proptest::prop_assert!(!reason.contains("AKfakeLeaf"), "{}", reason);
            }
            FileOutcome::Kept { bytes: out, hits, .. } => {
                let mut all = Vec::new();
                leaves(&out, &mut all);
                for l in &all {
                    proptest::prop_assert!(
                        memchr::memmem::find(l, b"AKfakeLeaf").is_none(),
                        "leaked: {:?}",
                        String::from_utf8_lossy(l)
                    );
                }
                let again = rs().scan_file(&out, &ArchiveLimits::default(), None);
                proptest::prop_assert_eq!(again, Ok(Vec::new()));
                if hits.is_empty() {
                    proptest::prop_assert_eq!(out, bytes);
                }
            }
        }
    }
}
