//! Prints the tree-sitter syntax tree of a step (development aid):
//! `cargo run -p opsbook-classify --example tree -- powershell 'Get-Item x'`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

fn dump(n: tree_sitter::Node<'_>, src: &str, depth: usize, field: &str) {
    let text = &src[n.byte_range()];
    let short: String = text.chars().take(60).collect();
    println!(
        "{}{}{} [{}..{}] {:?}",
        "  ".repeat(depth),
        field,
        if n.is_named() {
            n.kind().to_string()
        } else {
            format!("'{}'", n.kind())
        },
        n.start_byte(),
        n.end_byte(),
        short
    );
    let mut c = n.walk();
    for (i, ch) in n.children(&mut c).enumerate() {
        let f = n
            .field_name_for_child(u32::try_from(i).unwrap())
            .map(|f| format!("{f}: "));
        dump(ch, src, depth + 1, f.as_deref().unwrap_or(""));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let lang: tree_sitter::Language = if args[1] == "bash" {
        tree_sitter_bash::LANGUAGE.into()
    } else {
        tree_sitter_pwsh::LANGUAGE.into()
    };
    let mut p = tree_sitter::Parser::new();
    p.set_language(&lang).unwrap();
    let src = &args[2];
    let t = p.parse(src, None).unwrap();
    dump(t.root_node(), src, 0, "");
}
