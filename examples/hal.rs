//! `hal`: a small command-line client for any HAL API, for scripts.
//!
//!     cargo run --example hal -- [options] get <url>
//!     cargo run --example hal -- [options] patch <url> <json>
//!
//! The url is absolute or relative to --base. Options:
//!
//!     --base URL          the API's base URL (default: the .halchemy file's, else http://localhost:2112)
//!     --follow PATH       follow a path of rels in one traversal: REL/REL/... (or repeat
//!                         --follow). In a link array pick one: REL[2], REL[name=x] or
//!                         REL[title=x]. A rel embedded as one resource on the way is used
//!                         without a request. A rel that is a URI (holds `://`) takes a
//!                         --follow of its own
//!     --template K=V      a template value for the last step (V is JSON, else text)
//!     --param K=V         a query parameter for the last step (V is JSON, else text)
//!     --header K:V        a header for every request
//!     --raw               print compact JSON (default: pretty)
//!     --meta              print the status line and response headers before the body
//!     --demo              start the built-in demo HAL API and use it as --base
//!
//! `get` with `--pages REL` prints every item of a paged collection, following `next` links
//! page after page (REL is an embedded rel, or a field such as Eve's `_items`). `--actions`
//! lists the target's HAL-FORMS templates (asking for them with `Accept:
//! application/prs.hal-forms+json`), and `--submit NAME KEY=VALUE...` submits one, after
//! checking the values against the template.
//!
//! `patch` reads the target, then PATCHes it with `If-Match` set from its ETag: a concurrent
//! change makes it fail (412) instead of overwriting someone else's work. With `--merge`, a
//! 412 is resolved by a three-way merge: fields only one side changed are kept; fields both
//! changed are reported field by field and, on a terminal, you choose which value to keep
//! (when standard input is not a terminal, the report is printed and `hal` exits with
//! status 2, nothing sent). `--concurrently JSON` makes another client PATCH the target
//! between our read and our write, to try it out.
//! Warnings (a deprecated link, a `Deprecation` or `Sunset` header) go to stderr.
//! Errors print one line and exit with status 1.
//!
//! Examples:
//!
//!     hal --demo get / --follow customers
//!     hal --demo get / --follow customer --template id=A375 --meta
//!     hal --base http://127.0.0.1:5000 get / --follow 'child[title=customers]' --param max_results=2 --pages _items
//!     hal --demo patch /customers/A375 '{"city": "Eagleton"}'
//!     hal --demo get /customers --pages item --raw
//!     hal --demo get /customers/A375 --actions
//!     hal --demo get /customers/A375 --submit move city=Eagleton
//!     hal --demo patch /customers/A375 '{"name": "Leslie"}' --merge --concurrently '{"city": "Eagleton"}'
//!     hal --demo patch /customers/A375 '{"name": "Leslie"}' --merge --concurrently '{"name": "Ann"}'
//!     hal --base http://127.0.0.1:5000 get / --follow 'child[title=customers]' --raw

use std::io::{BufRead, IsTerminal, Write};

use halchemy::{Api, Choice, Error, Resource, Target, Traversal};
use serde_json::{Map, Value};

/// `println!` that ends the program quietly when the reader of standard output has gone
/// (`hal ... | head`), instead of panicking on the broken pipe.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

#[derive(Default)]
struct Args {
    base: Option<String>,
    command: String,
    url: String,
    patch: Option<String>,
    follow: Vec<Step>,
    templates: Map<String, Value>,
    params: Map<String, Value>,
    headers: Vec<(String, String)>,
    raw: bool,
    meta: bool,
    demo: bool,
    merge: bool,
    concurrently: Option<Value>,
    pages: Option<String>,
    actions: bool,
    submit: Option<String>,
    values: Map<String, Value>,
}

/// One rel of a `--follow` path, with its pick.
struct Step {
    rel: String,
    pick: Option<Pick>,
}

enum Pick {
    At(usize),
    Named(String),
    Titled(String),
}

/// Prints `warn` and `error` log lines of the library to stderr: deprecated links and
/// resources. No logging crate needed for that.
struct Stderr;

impl log::Log for Stderr {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Warn
    }
    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            let level = record.level().as_str().to_ascii_lowercase();
            eprintln!("{level}: {}", record.args());
        }
    }
    fn flush(&self) {}
}

static STDERR: Stderr = Stderr;

fn main() {
    if log::set_logger(&STDERR).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
    if let Err(e) = run() {
        eprintln!("error: {e}");
        // The whole cause chain: the library's message says what to do, the causes say why.
        let mut source = e.source();
        while let Some(cause) = source {
            eprintln!("  caused by: {cause}");
            source = cause.source();
        }
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        out!("{}", usage());
        return Ok(());
    }
    let mut args = parse(std::env::args().skip(1))?;
    let _server = if args.demo {
        let server = halchemy_testserver::demo::start()?;
        args.base = Some(server.url());
        Some(server)
    } else {
        None
    };
    let mut builder = Api::builder().raise_on_status_codes(">399");
    if args.actions || args.submit.is_some() {
        builder = builder.header("Accept", halchemy::HAL_FORMS_ACCEPT);
    }
    if let Some(base) = &args.base {
        builder = builder.base_url(base);
    }
    for (k, v) in &args.headers {
        builder = builder.header(k, v);
    }
    let api = builder.build()?;

    let mut target = walk(&api, &args)?;
    let shown = match args.command.as_str() {
        "get" if args.pages.is_some() => return pages(&api, target, &args),
        "get" if args.actions => return actions(&target),
        "get" if args.submit.is_some() => {
            let name = args.submit.as_deref().unwrap_or_default();
            let answer = api
                .submit_mut(&mut target, name)
                .with_values(&args.values)
                .send()?;
            eprintln!(
                "submitted `{name}`: {} {}",
                answer.status(),
                answer.meta().response.reason
            );
            answer
        }
        "get" => target,
        "patch" => {
            let body: Value = serde_json::from_str(args.patch.as_deref().unwrap_or_default())
                .map_err(|e| format!("the patch is not JSON: {e}"))?;
            if let Some(change) = &args.concurrently {
                let mut other = api.follow(&target).to("self").get()?;
                api.follow_mut(&mut other).to("self").patch(change)?;
                eprintln!("another client changed it meanwhile: {change}");
            }
            let answer = match api.follow_mut(&mut target).to("self").patch(body) {
                Err(Error::PreconditionFailed(conflict)) if args.merge => {
                    merge(&api, &mut target, &conflict)?
                }
                other => other?,
            };
            eprintln!("etag now {}", target.etag().unwrap_or("(none)"));
            answer
        }
        other => return Err(format!("unknown command `{other}`: use get or patch").into()),
    };
    print(&shown, &args);
    Ok(())
}

/// Prints every item of every page, following `next`.
fn pages(api: &Api, first: Resource, args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let rel = args.pages.as_deref().unwrap_or_default();
    let walk = api.pages(first.clone());
    // Items listed in a field of the page (Eve's `_items`), else under `_embedded`.
    let items = match first.data().get(rel).is_some_and(Value::is_array) {
        true => walk.collection(rel),
        false => walk.items(rel),
    };
    let mut count = 0;
    for item in items {
        let item = item?;
        count += 1;
        if args.raw {
            out!("{item}");
        } else {
            out!("{item:#}");
        }
    }
    eprintln!("{count} items");
    Ok(())
}

/// Lists the HAL-FORMS templates of `r`.
fn actions(r: &Resource) -> Result<(), Box<dyn std::error::Error>> {
    let templates = r.templates()?;
    if templates.is_empty() {
        out!(
            "no templates (the server may send them only for Accept: {})",
            halchemy::HAL_FORMS_ACCEPT
        );
    }
    for t in templates {
        out!(
            "{}: {} {} ({}){}",
            t.name(),
            t.method(),
            t.target().unwrap_or("(the resource itself)"),
            t.content_type(),
            t.title()
                .map(|title| format!(" — {title}"))
                .unwrap_or_default()
        );
        for p in t.properties() {
            let mut line = format!("    {}", p.name());
            if p.is_required() {
                line.push_str(" (required)");
            }
            if p.is_read_only() {
                line.push_str(" (read-only)");
            }
            if let Some(kind) = p.input_type() {
                line.push_str(&format!(" type {kind}"));
            }
            if let Some(regex) = p.regex() {
                line.push_str(&format!(" matching /{regex}/"));
            }
            if let Some(options) = p.options() {
                let choices: Vec<String> = options
                    .choices()
                    .iter()
                    .map(|c| c.value().to_string())
                    .collect();
                line.push_str(&format!(" one of {}", choices.join(", ")));
            }
            if let Some(prompt) = p.prompt() {
                line.push_str(&format!(" — {prompt}"));
            }
            out!("{line}");
        }
    }
    Ok(())
}

/// Resolves a 412 with a three-way merge: clean merges are sent at once; conflicts are asked
/// about on a terminal, and reported (exit status 2, nothing sent) otherwise.
fn merge(
    api: &Api,
    target: &mut Resource,
    conflict: &halchemy::Conflict,
) -> Result<Resource, Box<dyn std::error::Error>> {
    let mut merging = api.merge(target, conflict)?;
    if !merging.conflicts().is_empty() {
        eprintln!("someone else changed it too:\n{merging}");
        if !std::io::stdin().is_terminal() {
            eprintln!("not a terminal: nothing was sent; resolve the conflicts and patch again");
            std::process::exit(2);
        }
        let pointers: Vec<String> = merging.unresolved().iter().map(|p| p.to_string()).collect();
        let stdin = std::io::stdin();
        for pointer in pointers {
            let choice = loop {
                eprint!("{pointer}: keep [m]ine, [t]heirs, [r]emove it, or type a JSON value: ");
                std::io::stderr().flush()?;
                let mut line = String::new();
                if stdin.lock().read_line(&mut line)? == 0 {
                    return Err("no answer: nothing was sent".into());
                }
                match line.trim() {
                    "m" | "mine" => break Choice::Mine,
                    "t" | "theirs" => break Choice::Theirs,
                    "r" | "remove" => break Choice::Remove,
                    text => match serde_json::from_str(text) {
                        Ok(value) => break Choice::Value(value),
                        Err(_) => eprintln!("  not m, t, r or JSON: try again"),
                    },
                }
            };
            merging.resolve(&pointer, choice)?;
        }
    }
    eprintln!("merged with the other change; sending it conditionally on their version");
    Ok(merging.send()?)
}

/// GETs the url, then the `--follow` path as one traversal; templates and parameters go to
/// the last step.
fn walk(api: &Api, args: &Args) -> halchemy::Result<Resource> {
    let first = api.using_endpoint(args.url.as_str());
    let Some((step, rest)) = args.follow.split_first() else {
        let first = match args.templates.is_empty() {
            true => first,
            false => first.with_template_values(&args.templates),
        };
        return match args.params.is_empty() {
            true => first.get(),
            false => first.with_parameters(&args.params).get(),
        };
    };
    let mut traversal = picked(first.then(step.rel.as_str()), step);
    for step in rest {
        traversal = picked(traversal.then(step.rel.as_str()), step);
    }
    if !args.templates.is_empty() {
        traversal = traversal.with_template_values(&args.templates);
    }
    if !args.params.is_empty() {
        traversal = traversal.with_parameters(&args.params);
    }
    traversal.get()
}

/// The traversal with the pick of its last step.
fn picked<'a, T: Target>(t: Traversal<'a, T>, step: &Step) -> Traversal<'a, T> {
    match &step.pick {
        None => t,
        Some(Pick::At(i)) => t.at(*i),
        Some(Pick::Named(n)) => t.named(n.as_str()),
        Some(Pick::Titled(title)) => t.titled(title.as_str()),
    }
}

/// The steps of one `--follow` value: rels separated by `/` (outside `[...]`), each with an
/// optional pick. A value holding `://` is one rel (a URI), with no pick.
fn steps(path: &str) -> Result<Vec<Step>, String> {
    if path.contains("://") {
        return Ok(vec![Step {
            rel: path.to_owned(),
            pick: None,
        }]);
    }
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in path.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '/' if depth == 0 => {
                parts.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&path[start..]);
    parts.into_iter().map(|p| step(p, path)).collect()
}

fn step(text: &str, path: &str) -> Result<Step, String> {
    let bad =
        || format!("`{path}`: write REL, REL[index], REL[name=x] or REL[title=x], joined by /");
    let (rel, pick) = match text.split_once('[') {
        None => (text, None),
        Some((rel, rest)) => {
            let inside = rest.strip_suffix(']').ok_or_else(bad)?;
            let pick = match inside.split_once('=') {
                Some(("name", n)) => Pick::Named(n.to_owned()),
                Some(("title", t)) => Pick::Titled(t.to_owned()),
                _ => Pick::At(inside.parse().map_err(|_| bad())?),
            };
            (rel, Some(pick))
        }
    };
    if rel.is_empty() {
        return Err(bad());
    }
    Ok(Step {
        rel: rel.to_owned(),
        pick,
    })
}

fn print(r: &Resource, args: &Args) {
    let m = r.meta();
    if args.meta {
        out!(
            "{} {} -> {} {}",
            m.request.method,
            m.request.url,
            m.response.status,
            m.response.reason
        );
        for (name, value) in &m.response.headers {
            out!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
        }
        out!();
    }
    if let Some(text) = m.response.body.as_text() {
        out!("{text}");
    } else if !r.data().is_null() {
        if args.raw { out!("{r}") } else { out!("{r:#}") }
    }
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args::default();
    let mut positional = Vec::new();
    let value = |it: &mut dyn Iterator<Item = String>, flag: &str| {
        it.next().ok_or_else(|| format!("{flag} needs a value"))
    };
    let pair = |s: String, sep: char, flag: &str| -> Result<(String, String), String> {
        s.split_once(sep)
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .ok_or_else(|| format!("{flag} takes KEY{sep}VALUE, got `{s}`"))
    };
    let json_or_text = |v: String| serde_json::from_str(&v).unwrap_or(Value::String(v));
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--base" => a.base = Some(value(&mut it, "--base")?),
            "--follow" => a.follow.extend(steps(&value(&mut it, "--follow")?)?),
            "--template" => {
                let (k, v) = pair(value(&mut it, "--template")?, '=', "--template")?;
                a.templates.insert(k, json_or_text(v));
            }
            "--param" => {
                let (k, v) = pair(value(&mut it, "--param")?, '=', "--param")?;
                a.params.insert(k, json_or_text(v));
            }
            "--header" => a
                .headers
                .push(pair(value(&mut it, "--header")?, ':', "--header")?),
            "--raw" => a.raw = true,
            "--meta" => a.meta = true,
            "--demo" => a.demo = true,
            "--merge" => a.merge = true,
            "--pages" => a.pages = Some(value(&mut it, "--pages")?),
            "--actions" => a.actions = true,
            "--submit" => a.submit = Some(value(&mut it, "--submit")?),
            "--concurrently" => {
                let text = value(&mut it, "--concurrently")?;
                a.concurrently = Some(
                    serde_json::from_str(&text)
                        .map_err(|e| format!("--concurrently takes JSON: {e}"))?,
                );
            }
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{}", usage()));
            }
            _ => positional.push(arg),
        }
    }
    // With --submit, KEY=VALUE arguments are the template's values.
    if a.submit.is_some() {
        let (values, rest): (Vec<String>, Vec<String>) =
            positional.into_iter().partition(|p| p.contains('='));
        for v in values {
            let (k, v) = pair(v, '=', "--submit")?;
            a.values.insert(k, json_or_text(v));
        }
        positional = rest;
    }
    let mut positional = positional.into_iter();
    a.command = positional.next().ok_or_else(usage)?;
    a.url = positional
        .next()
        .ok_or_else(|| format!("{} needs a url", a.command))?;
    if a.command == "patch" {
        a.patch = Some(positional.next().ok_or("patch needs a JSON body")?);
    }
    if let Some(extra) = positional.next() {
        return Err(format!("unexpected argument `{extra}`"));
    }
    Ok(a)
}

fn usage() -> String {
    "usage: hal [options] get <url>
       hal [options] patch <url> <json>

The url is absolute or relative to --base. `patch` reads the target, then PATCHes it with
If-Match from its ETag, so a concurrent change fails (412) instead of being overwritten.
With --merge a 412 is merged three ways: fields only one side changed are kept, and fields
both changed are asked about on a terminal (elsewhere: the report is printed, nothing is
sent, exit status 2). Warnings (deprecated links and resources) go to stderr.

examples:
  hal --demo get / --follow customer --template id=A375 --raw
  hal --demo get / --follow customers --pages item --raw
  hal --demo get /customers/A375 --actions
  hal --demo get /customers/A375 --submit move city=Eagleton
  hal --base http://127.0.0.1:5000 get / --follow 'child[title=customers]' --param max_results=2 --pages _items

options:
  --base URL          the API's base URL (default: the .halchemy file's, else http://localhost:2112)
  --follow PATH       follow a path of rels in one traversal: REL/REL/... (or repeat
                      --follow). In a link array pick one: REL[2], REL[name=x] or
                      REL[title=x]. A rel embedded as one resource on the way is used
                      without a request. A rel that is a URI (holds ://) takes a --follow
                      of its own
  --template K=V      a template value for the last step (V is JSON, else text)
  --param K=V         a query parameter for the last step (V is JSON, else text)
  --header K:V        a header for every request
  --raw               print compact JSON (default: pretty)
  --meta              print the status line and response headers before the body
  --demo              start the built-in demo HAL API and use it as --base
  --pages REL         print every item of a paged collection (an embedded rel, or a
                      field such as _items), following `next` page after page
  --actions           list the target's HAL-FORMS templates
  --submit NAME K=V.. submit the template NAME with these values (checked first)
  --merge             on a 412, merge with the other change instead of failing
  --concurrently JSON another client PATCHes the target between our read and our write
  -h, --help          this help"
        .to_owned()
}
