//! `hal`: a small command-line client for any HAL API, for scripts.
//!
//!     cargo run --example hal -- [options] get <url>
//!     cargo run --example hal -- [options] patch <url> <json>
//!
//! The url is absolute or relative to --base. Options:
//!
//!     --base URL          the API's base URL (default: the .halchemy file's, else http://localhost:2112)
//!     --follow REL        follow a link of the current resource; repeat to walk a chain.
//!                         In a link array pick one: REL[2], REL[name=x] or REL[title=x]
//!     --template K=V      a template value for the last step (V is JSON, else text)
//!     --param K=V         a query parameter for the last step (V is JSON, else text)
//!     --header K:V        a header for every request
//!     --raw               print compact JSON (default: pretty)
//!     --meta              print the status line and response headers before the body
//!     --demo              start the built-in demo HAL API and use it as --base
//!
//! `patch` reads the target, then PATCHes it with `If-Match` set from its ETag: a concurrent
//! change makes it fail (412) instead of overwriting someone else's work.
//! Errors print one line and exit with status 1.
//!
//! Examples:
//!
//!     hal --demo get / --follow customers
//!     hal --demo get / --follow customer --template id=A375 --meta
//!     hal --demo patch /customers/A375 '{"city": "Eagleton"}'
//!     hal --base http://127.0.0.1:5000 get / --follow 'child[title=customers]' --raw

use halchemy::{Api, Request, Resource};
use serde_json::{Map, Value};

#[derive(Default)]
struct Args {
    base: Option<String>,
    command: String,
    url: String,
    patch: Option<String>,
    follow: Vec<String>,
    templates: Map<String, Value>,
    params: Map<String, Value>,
    headers: Vec<(String, String)>,
    raw: bool,
    meta: bool,
    demo: bool,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("{}", usage());
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
    if let Some(base) = &args.base {
        builder = builder.base_url(base);
    }
    for (k, v) in &args.headers {
        builder = builder.header(k, v);
    }
    let api = builder.build()?;

    let mut target = walk(&api, &args)?;
    let shown = match args.command.as_str() {
        "get" => target,
        "patch" => {
            let body: Value = serde_json::from_str(args.patch.as_deref().unwrap_or_default())
                .map_err(|e| format!("the patch is not JSON: {e}"))?;
            let answer = api.follow_mut(&mut target).to("self").patch(body)?;
            eprintln!("etag now {}", target.etag().unwrap_or("(none)"));
            answer
        }
        other => return Err(format!("unknown command `{other}`: use get or patch").into()),
    };
    print(&shown, &args);
    Ok(())
}

/// GETs the url, then each `--follow` in turn; templates and parameters go to the last step.
fn walk(api: &Api, args: &Args) -> halchemy::Result<Resource> {
    let first = api.using_endpoint(args.url.as_str());
    let mut current = if args.follow.is_empty() {
        last_options(first, args).get()?
    } else {
        first.get()?
    };
    for (i, step) in args.follow.iter().enumerate() {
        let (rel, pick) = match step.split_once('[') {
            Some((rel, rest)) => (rel, Some(rest.trim_end_matches(']'))),
            None => (step.as_str(), None),
        };
        let mut req = api.follow(&current).to(rel);
        req = match pick {
            None => req,
            Some(p) => match p.split_once('=') {
                Some(("name", n)) => req.named(n),
                Some(("title", t)) => req.titled(t),
                _ => match p.parse() {
                    Ok(index) => req.at(index),
                    Err(_) => {
                        return Err(halchemy::Error::Parameters(format!(
                            "`{step}`: pick with REL[index], REL[name=x] or REL[title=x]"
                        )));
                    }
                },
            },
        };
        if i + 1 == args.follow.len() {
            req = last_options(req, args);
        }
        current = req.get()?;
    }
    Ok(current)
}

fn last_options<'a, K>(req: Request<'a, K>, args: &Args) -> Request<'a, K> {
    let req = if args.templates.is_empty() {
        req
    } else {
        req.with_template_values(&args.templates)
    };
    if args.params.is_empty() {
        req
    } else {
        req.with_parameters(&args.params)
    }
}

fn print(r: &Resource, args: &Args) {
    let m = r.meta();
    if args.meta {
        println!(
            "{} {} -> {} {}",
            m.request.method, m.request.url, m.response.status, m.response.reason
        );
        for (name, value) in &m.response.headers {
            println!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
        }
        println!();
    }
    if let Some(text) = m.response.body.as_text() {
        println!("{text}");
    } else if !r.data().is_null() {
        if args.raw {
            println!("{r}")
        } else {
            println!("{r:#}")
        }
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
            "--follow" => a.follow.push(value(&mut it, "--follow")?),
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
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{}", usage()));
            }
            _ => positional.push(arg),
        }
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

options:
  --base URL          the API's base URL (default: the .halchemy file's, else http://localhost:2112)
  --follow REL        follow a link of the current resource; repeat to walk a chain.
                      In a link array pick one: REL[2], REL[name=x] or REL[title=x]
  --template K=V      a template value for the last step (V is JSON, else text)
  --param K=V         a query parameter for the last step (V is JSON, else text)
  --header K:V        a header for every request
  --raw               print compact JSON (default: pretty)
  --meta              print the status line and response headers before the body
  --demo              start the built-in demo HAL API and use it as --base
  -h, --help          this help"
        .to_owned()
}
