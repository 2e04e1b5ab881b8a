//! The endpoints: [`answer`], httpbin's answer to one request, a plain function (so that
//! it is tested without a socket).

use std::collections::BTreeMap;
use std::io::Write;

use base64::Engine;
use serde_json::{Value, json};

use crate::habits::*;
use crate::{Answer, Asked, Body};

/// The application: httpbin's answer to one request.
pub fn answer(asked: &Asked) -> Answer {
    let path = asked.path().to_string();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = asked.method.as_str();
    let number = |i: usize| parts.get(i).and_then(|n| n.parse::<u32>().ok());
    match (method, parts.as_slice()) {
        ("GET" | "HEAD", ["get"]) => json_answer(200, &asked.get_json()),
        ("GET" | "HEAD", ["headers"]) => {
            json_answer(200, &json!({"headers": asked.headers_json()}))
        }
        ("GET" | "HEAD", ["ip"]) => json_answer(200, &json!({"origin": asked.peer})),
        ("GET" | "HEAD", ["user-agent"]) => {
            json_answer(200, &json!({"user-agent": asked.header("User-Agent")}))
        }
        (_, ["status", code]) => match code.parse::<u16>() {
            Ok(code) if (100..1000).contains(&code) => status(code),
            _ => Answer {
                headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
                ..html(400, "Invalid status code")
            },
        },
        ("GET" | "HEAD", ["redirect", _]) => match number(1) {
            Some(1) => redirect(302, "/get"),
            Some(n) if n > 1 => redirect(302, &format!("/relative-redirect/{}", n - 1)),
            _ => html(404, NOT_FOUND),
        },
        ("GET" | "HEAD", ["relative-redirect", _]) => match number(1) {
            Some(1) => redirect(302, "/get"),
            Some(n) if n > 1 => redirect(302, &format!("/relative-redirect/{}", n - 1)),
            _ => html(404, NOT_FOUND),
        },
        ("GET" | "HEAD", ["absolute-redirect", _]) => {
            let host = asked.header("Host").unwrap_or("127.0.0.1");
            match number(1) {
                Some(1) => redirect(302, &format!("http://{host}/get")),
                Some(n) if n > 1 => {
                    redirect(302, &format!("http://{host}/absolute-redirect/{}", n - 1))
                }
                _ => html(404, NOT_FOUND),
            }
        }
        ("GET" | "HEAD", ["basic-auth", user, password]) => {
            basic_auth(asked, user, password, false)
        }
        ("GET" | "HEAD", ["hidden-basic-auth", user, password]) => {
            basic_auth(asked, user, password, true)
        }
        ("GET" | "HEAD", ["cookies"]) => json_answer(200, &json!({"cookies": cookies(asked)})),
        ("GET" | "HEAD", ["cookies", "set"]) => {
            let mut answer = redirect(302, "/cookies");
            for (name, value) in asked.query() {
                answer
                    .headers
                    .push(("Set-Cookie".into(), format!("{name}={value}; Path=/")));
            }
            answer
        }
        ("GET" | "HEAD", ["cookies", "delete"]) => {
            let mut answer = redirect(302, "/cookies");
            for (name, _) in asked.query() {
                answer.headers.push((
                    "Set-Cookie".into(),
                    format!("{name}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"),
                ));
            }
            answer
        }
        ("GET" | "HEAD", ["cache"]) => {
            if asked.header("If-Modified-Since").is_some()
                || asked.header("If-None-Match").is_some()
            {
                return not_modified();
            }
            let mut answer = json_answer(200, &asked.get_json());
            let now = chrono::Utc::now()
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string();
            answer.headers.push(("Last-Modified".into(), now));
            // A random 32-hex ETag, unquoted, as httpbin's.
            answer
                .headers
                .push(("ETag".into(), format!("{:032x}", fastrand::u128(..))));
            answer
        }
        ("GET" | "HEAD", ["cache", _]) => match number(1) {
            Some(n) => {
                let mut answer = json_answer(200, &asked.get_json());
                answer
                    .headers
                    .push(("Cache-Control".into(), format!("public, max-age={n}")));
                answer
            }
            None => html(404, NOT_FOUND),
        },
        ("GET" | "HEAD", ["etag", etag]) => etag_answer(asked, etag),
        ("GET" | "HEAD", ["response-headers"]) => {
            let pairs = asked.query();
            let mut body = BTreeMap::new();
            body.insert("Content-Type".to_string(), json!("application/json"));
            for (k, v) in &pairs {
                body.insert(k.clone(), json!(v));
            }
            let mut answer = json_answer(200, &json!(body));
            answer.headers.extend(pairs);
            answer
        }
        ("GET" | "HEAD", ["gzip"]) => compressed(asked, "gzip"),
        ("GET" | "HEAD", ["deflate"]) => compressed(asked, "deflate"),
        ("GET" | "HEAD", ["stream", _]) => match number(1) {
            Some(n) => stream(asked, n.min(100)),
            None => html(404, NOT_FOUND),
        },
        ("GET" | "HEAD", ["image"]) => image(asked),
        ("GET" | "HEAD", ["robots.txt"]) => plain(ROBOTS_TXT),
        ("GET" | "HEAD", ["deny"]) => plain(ANGRY_ASCII),
        // For the clients' conformance cases: a redirect to itself, and a body that is
        // not UTF-8 (Latin-1 `Straße`).
        ("GET" | "HEAD", ["redirect-loop"]) => redirect(302, "/redirect-loop"),
        // httpbin's redirect-to, any method; only to a path on this server, so that no
        // client is ever sent off the machine.
        (_, ["redirect-to"]) => {
            let query = asked.query();
            let find = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
            let code = find("status_code")
                .and_then(|c| c.parse::<u16>().ok())
                .unwrap_or(302);
            match find("url") {
                Some(url)
                    if url.starts_with('/')
                        && !url.starts_with("//")
                        && (300..400).contains(&code) =>
                {
                    redirect(code, &url)
                }
                _ => html(
                    400,
                    "redirect-to takes a url that is a path here, and a 3xx status_code",
                ),
            }
        }
        ("GET" | "HEAD", ["latin1"]) => Answer {
            status: 200,
            reason: reason(200),
            headers: vec![(
                "Content-Type".into(),
                "text/plain; charset=iso-8859-1".into(),
            )],
            body: Body::Whole(b"Stra\xdfe\n".to_vec()),
        },
        (_, ["anything", ..]) => json_answer(200, &echo(asked, true)),
        ("POST", ["post"]) | ("PUT", ["put"]) | ("PATCH", ["patch"]) | ("DELETE", ["delete"]) => {
            json_answer(200, &echo(asked, false))
        }
        (_, ["post" | "put" | "patch" | "delete"]) => {
            let allowed = match parts[0] {
                // Werkzeug lists a set, in whatever order the process hashes it to.
                "post" => "OPTIONS, POST",
                "put" => "OPTIONS, PUT",
                "patch" => "OPTIONS, PATCH",
                _ => "OPTIONS, DELETE",
            };
            let mut answer = html(405, METHOD_NOT_ALLOWED);
            answer.headers.push(("Allow".into(), allowed.into()));
            answer
        }
        _ => html(404, NOT_FOUND),
    }
}

/// `/status/CODE`: an empty answer, or what httpbin makes of some codes. Those it makes
/// itself carry no Content-Type; 402's joke is not served here.
fn status(code: u16) -> Answer {
    let bare = |extra: Option<(&str, &str)>| Answer {
        headers: extra
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        ..empty(code)
    };
    match code {
        301 | 302 | 303 | 305 | 307 => bare(Some(("Location", "/redirect/1"))),
        304 => not_modified(),
        401 => bare(Some(("WWW-Authenticate", "Basic realm=\"Fake Realm\""))),
        406 => not_acceptable(),
        407 => bare(None),
        418 => Answer {
            body: Body::Whole(TEAPOT.as_bytes().to_vec()),
            ..bare(Some(("x-more-info", "http://tools.ietf.org/html/rfc2324")))
        },
        _ => empty(code),
    }
}

fn basic_auth(asked: &Asked, user: &str, password: &str, hidden: bool) -> Answer {
    let given = asked
        .header("Authorization")
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    if given.as_deref() == Some(&format!("{user}:{password}")) {
        return json_answer(200, &json!({"authenticated": true, "user": user}));
    }
    if hidden {
        // An empty 404, not Werkzeug's page.
        return empty(404);
    }
    status(401)
}

fn cookies(asked: &Asked) -> Value {
    let mut map = BTreeMap::new();
    for header in asked
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
    {
        for pair in header.1.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=') {
                map.insert(k.to_string(), json!(v));
            }
        }
    }
    json!(map)
}

fn not_modified() -> Answer {
    Answer {
        status: 304,
        reason: reason(304),
        headers: Vec::new(),
        body: Body::Whole(Vec::new()),
    }
}

fn etag_answer(asked: &Asked, etag: &str) -> Answer {
    let matches = |list: &str| {
        list.split(',')
            .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
            .any(|t| t == etag || t == "*")
    };
    if let Some(list) = asked.header("If-None-Match")
        && matches(list)
    {
        let mut answer = not_modified();
        answer.headers.push(("ETag".into(), etag.into()));
        return answer;
    }
    if let Some(list) = asked.header("If-Match")
        && !matches(list)
    {
        return empty(412);
    }
    let mut answer = json_answer(200, &asked.get_json());
    answer.headers.push(("ETag".into(), etag.into()));
    answer
}

/// `/gzip` and `/deflate` (zlib-wrapped), compressed whatever Accept-Encoding says.
fn compressed(asked: &Asked, how: &str) -> Answer {
    let key = if how == "gzip" { "gzipped" } else { "deflated" };
    let plain = json_answer(
        200,
        &json!({key: true, "headers": asked.headers_json(), "method": asked.method, "origin": asked.peer}),
    );
    let Body::Whole(bytes) = &plain.body else {
        return plain;
    };
    let packed = if how == "gzip" {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = encoder.write_all(bytes);
        encoder.finish().unwrap_or_default()
    } else {
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = encoder.write_all(bytes);
        encoder.finish().unwrap_or_default()
    };
    let mut answer = plain;
    answer.headers.push(("Content-Encoding".into(), how.into()));
    answer.body = Body::Whole(packed);
    answer
}

/// `/stream/N`: N JSON lines, one chunk each.
fn stream(asked: &Asked, n: u32) -> Answer {
    // Each line as httpbin's `json.dumps(response) + "\n"`: Python's separators, and
    // the keys in the order its dict was filled.
    let chunks = (0..n)
        .map(|id| {
            format!(
                "{{\"url\": {}, \"args\": {}, \"headers\": {}, \"origin\": {}, \"id\": {id}}}\n",
                dumps(&json!(asked.url())),
                dumps(&asked.args_json()),
                dumps(&asked.headers_json()),
                dumps(&json!(asked.peer)),
            )
            .into_bytes()
        })
        .collect();
    Answer {
        status: 200,
        reason: reason(200),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Body::Chunks(chunks),
    }
}

/// `/image`: by Accept, or 406 (requests' default `*/*` among them).
fn image(asked: &Asked) -> Answer {
    let accept = asked
        .header("Accept")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let wants = |kind: &str| {
        accept
            .split(',')
            .any(|a| a.split(';').next().unwrap_or_default().trim() == kind)
    };
    let pick = if wants("image/webp") {
        Some(IMAGES[0])
    } else if wants("image/svg+xml") {
        Some(IMAGES[1])
    } else if wants("image/jpeg") {
        Some(IMAGES[2])
    } else if wants("image/png") || wants("image/*") {
        Some(IMAGES[3])
    } else {
        None
    };
    match pick {
        Some((kind, bytes)) => Answer {
            status: 200,
            reason: reason(200),
            headers: vec![("Content-Type".into(), kind.into())],
            body: Body::Whole(bytes.to_vec()),
        },
        None => not_acceptable(),
    }
}

/// `/anything`, `/post`...: the request echoed.
fn echo(asked: &Asked, with_method: bool) -> Value {
    let kind = asked.header("Content-Type").unwrap_or_default();
    let text = String::from_utf8_lossy(&asked.body).into_owned();
    let form = if kind.starts_with("application/x-www-form-urlencoded") {
        multi_json(&form_pairs(&asked.body))
    } else {
        json!({})
    };
    let data = if form.as_object().is_some_and(|f| !f.is_empty()) {
        String::new()
    } else {
        text.clone()
    };
    let parsed = serde_json::from_str::<Value>(&text).ok();
    let mut value = json!({
        "args": asked.args_json(),
        "data": data,
        "files": {},
        "form": form,
        "headers": asked.headers_json(),
        "json": parsed,
        "origin": asked.peer,
        "url": asked.url(),
    });
    if with_method && let Some(map) = value.as_object_mut() {
        map.insert("method".into(), json!(asked.method));
    }
    value
}

#[cfg(test)]
mod tests {

    use super::*;

    fn get(target: &str, headers: &[(&str, &str)]) -> Answer {
        answer(&Asked {
            method: "GET".into(),
            target: target.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
            peer: "127.0.0.1".into(),
        })
    }

    fn text(answer: &Answer) -> String {
        match &answer.body {
            Body::Whole(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            Body::Chunks(chunks) => chunks.iter().map(|c| String::from_utf8_lossy(c)).collect(),
        }
    }

    fn header<'a>(answer: &'a Answer, name: &str) -> Option<&'a str> {
        answer
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn get_echoes_args_and_title_case_headers_as_httpbins_json() {
        let got = get(
            "/get?a=1&b=x+y&a=2",
            &[("host", "localhost:8000"), ("user-agent", "ua")],
        );
        assert_eq!((got.status, got.reason.as_str()), (200, "OK"));
        assert_eq!(
            text(&got),
            "{\n  \"args\": {\n    \"a\": [\n      \"1\",\n      \"2\"\n    ],\n    \"b\": \"x y\"\n  },\n  \"headers\": {\n    \"Host\": \"localhost:8000\",\n    \"User-Agent\": \"ua\"\n  },\n  \"origin\": \"127.0.0.1\",\n  \"url\": \"http://localhost:8000/get?a=1&b=x+y&a=2\"\n}\n"
        );
    }

    #[test]
    fn statuses_carry_httpbins_phrases_and_extras() {
        assert_eq!(get("/status/404", &[]).reason, "NOT FOUND");
        let teapot = get("/status/418", &[]);
        assert_eq!(teapot.reason, "I'M A TEAPOT");
        // Each line as httpbin draws it, the space before `_,` among them.
        assert_eq!(text(&teapot).lines().nth(5), Some("    | .\"` ^ `\". _,"));
        assert_eq!(text(&teapot).len(), 135, "httpbin's Content-Length");
        assert_eq!(text(&get("/deny", &[])).len(), 239);
        assert_eq!(
            text(&get("/robots.txt", &[])),
            "User-agent: *\nDisallow: /deny\n"
        );
        assert_eq!(get("/status/999", &[]).reason, "UNKNOWN");
        assert_eq!(
            header(&get("/status/302", &[]), "Location"),
            Some("/redirect/1")
        );
        assert_eq!(header(&get("/status/308", &[]), "Location"), None);
        assert_eq!(get("/nowhere", &[]).status, 404);
    }

    #[test]
    fn redirects_are_relative_and_count_down_to_get() {
        assert_eq!(
            header(&get("/redirect/3", &[]), "Location"),
            Some("/relative-redirect/2")
        );
        assert_eq!(
            header(&get("/relative-redirect/1", &[]), "Location"),
            Some("/get")
        );
        let absolute = get("/absolute-redirect/2", &[("host", "localhost:8000")]);
        assert_eq!(
            header(&absolute, "Location"),
            Some("http://localhost:8000/absolute-redirect/1")
        );
        let to = get("/redirect-to?url=%2Fanything&status_code=307", &[]);
        assert_eq!(
            (to.status, header(&to, "Location")),
            (307, Some("/anything"))
        );
        assert_eq!(get("/redirect-to?url=/get", &[]).status, 302);
        // Never off the machine: only a path here.
        assert_eq!(get("/redirect-to?url=http://example.com/", &[]).status, 400);
        assert_eq!(get("/redirect-to?url=//example.com/", &[]).status, 400);
        assert_eq!(
            get("/redirect-to?url=/get&status_code=200", &[]).status,
            400
        );
    }

    #[test]
    fn auth_cookies_and_validators_behave_as_httpbins() {
        let auth = [("authorization", "Basic dXNlcjpwYXNzd29yZA==")];
        assert_eq!(get("/basic-auth/user/password", &auth).status, 200);
        assert_eq!(get("/basic-auth/user/other", &auth).status, 401);
        assert_eq!(get("/hidden-basic-auth/user/other", &auth).status, 404);
        let set = get("/cookies/set?session=abc", &[]);
        assert_eq!(
            (set.status, header(&set, "Set-Cookie")),
            (302, Some("session=abc; Path=/"))
        );
        let back = get("/cookies", &[("cookie", "session=abc; b=2")]);
        assert!(
            text(&back).contains("\"session\": \"abc\""),
            "{}",
            text(&back)
        );
        assert_eq!(get("/cache", &[("if-none-match", "x")]).status, 304);
        let fresh = get("/cache", &[]);
        assert_eq!(header(&fresh, "ETag").map(str::len), Some(32));
        assert_eq!(
            get("/etag/abc", &[("if-none-match", "\"abc\"")]).status,
            304
        );
        assert_eq!(
            get("/etag/abc", &[("if-none-match", "\"xyz\"")]).status,
            200
        );
        assert_eq!(get("/etag/abc", &[("if-match", "\"xyz\"")]).status, 412);
        assert_eq!(
            header(&get("/cache/60", &[]), "Cache-Control"),
            Some("public, max-age=60")
        );
    }

    #[test]
    fn encodings_streams_images_and_methods() {
        let deflate = get("/deflate", &[]);
        let Body::Whole(bytes) = &deflate.body else {
            panic!("a whole body")
        };
        assert_eq!(&bytes[..2], b"\x78\x9c", "zlib-wrapped");
        let gzip = get("/gzip", &[]);
        let Body::Whole(bytes) = &gzip.body else {
            panic!("a whole body")
        };
        let mut plain = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut plain)
            .unwrap();
        assert!(plain.contains("\"gzipped\": true"));
        let Body::Chunks(lines) = get("/stream/3", &[]).body else {
            panic!("chunks")
        };
        assert_eq!(lines.len(), 3);
        // httpbin's json.dumps: Python's separators, url first and id last.
        let last = String::from_utf8(lines[2].clone()).unwrap();
        assert!(
            last.starts_with(
                "{\"url\": \"http://127.0.0.1/stream/3\", \"args\": {}, \"headers\": {"
            ) && last.ends_with(", \"origin\": \"127.0.0.1\", \"id\": 2}\n"),
            "{last}"
        );
        assert_eq!(get("/image", &[("accept", "*/*")]).status, 406);
        assert_eq!(
            header(&get("/image", &[("accept", "image/png")]), "Content-Type"),
            Some("image/png")
        );
        let not_allowed = get("/post", &[]);
        assert_eq!(
            (not_allowed.status, not_allowed.reason.as_str()),
            (405, "METHOD NOT ALLOWED")
        );
        let posted = answer(&Asked {
            method: "POST".into(),
            target: "/post".into(),
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: b"a=1&b=two".to_vec(),
            peer: "127.0.0.1".into(),
        });
        assert!(
            text(&posted).contains("\"form\": {\n    \"a\": \"1\",\n    \"b\": \"two\"\n  }"),
            "{}",
            text(&posted)
        );
    }

    #[test]
    fn the_clients_cases_have_a_loop_and_a_body_that_is_not_utf8() {
        assert_eq!(
            header(&get("/redirect-loop", &[]), "Location"),
            Some("/redirect-loop")
        );
        assert!(
            std::str::from_utf8(&match get("/latin1", &[]).body {
                Body::Whole(b) => b,
                Body::Chunks(_) => Vec::new(),
            })
            .is_err()
        );
    }
}
