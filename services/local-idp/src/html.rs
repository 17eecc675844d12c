//! The hosted-UI pages. Plain HTML with every dynamic value escaped, no script and no inline style, so they work
//! under the strict Content-Security-Policy set in `routes::respond`; the stylesheet is served by the router.

use std::fmt::Write;

use crate::oauth::AuthRequest;

/// Served at `/assets/login.css`.
pub(crate) const LOGIN_CSS: &str = include_str!("login.css");

/// Escapes text for element content and double- or single-quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `base` is the path the router is nested under (e.g. `/idp`), used for the stylesheet and form targets.
fn layout(base: &str, title: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · Hotel booking</title>\n<link rel=\"stylesheet\" href=\"{base}/assets/login.css\">\n</head>\n\
         <body>\n<main class=\"card\">\n<p class=\"brand\" aria-hidden=\"true\">Hotel booking</p>\n{main}</main>\n\
         <footer><p>Local sign-in standing in for Amazon Cognito. For development only.</p></footer>\n</body>\n</html>\n",
        title = escape(title),
        base = escape(base),
    )
}

fn error_block(error: Option<&str>) -> String {
    match error {
        Some(message) => format!("<p class=\"error\" role=\"alert\" id=\"form-error\">{}</p>\n", escape(message)),
        None => String::new(),
    }
}

fn hidden_fields(request: &AuthRequest) -> String {
    request.pairs().iter().fold(String::new(), |mut out, (name, value)| {
        let _ = writeln!(out, "<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value));
        out
    })
}

fn field(id: &str, label: &str, attributes: &str, value: &str, has_error: bool) -> String {
    let invalid = if has_error { " aria-invalid=\"true\" aria-describedby=\"form-error\"" } else { "" };
    format!(
        "<div class=\"field\">\n<label for=\"{id}\">{label}</label>\n\
         <input id=\"{id}\" name=\"{id}\" {attributes} value=\"{}\"{invalid}>\n</div>\n",
        escape(value)
    )
}

pub(crate) fn login_page(base: &str, request: &AuthRequest, email: &str, error: Option<&str>) -> String {
    let has_error = error.is_some();
    let main = format!(
        "<h1>Sign in</h1>\n{error}<form method=\"post\" action=\"{base}/login\">\n{hidden}{email}{password}\
         <button type=\"submit\">Sign in</button>\n</form>\n\
         <p class=\"alt\">New here? <a href=\"{base}/signup?{query}\">Create an account</a></p>\n",
        error = error_block(error),
        base = escape(base),
        hidden = hidden_fields(request),
        email = field("email", "Email", "type=\"email\" autocomplete=\"username\" required autofocus", email, has_error),
        password = field("password", "Password", "type=\"password\" autocomplete=\"current-password\" required", "", has_error),
        query = escape(&request.query()),
    );
    layout(base, "Sign in", &main)
}

pub(crate) fn signup_page(base: &str, request: &AuthRequest, email: &str, name: &str, error: Option<&str>) -> String {
    let has_error = error.is_some();
    let main = format!(
        "<h1>Create an account</h1>\n{error}<form method=\"post\" action=\"{base}/signup\">\n{hidden}{name}{email}\
         <div class=\"field\">\n<label for=\"password\">Password</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required \
         minlength=\"8\" maxlength=\"256\" aria-describedby=\"password-hint\">\n\
         <p class=\"hint\" id=\"password-hint\">At least 8 characters.</p>\n</div>\n\
         <button type=\"submit\">Create account</button>\n</form>\n\
         <p class=\"alt\">Already have an account? <a href=\"{base}/login?{query}\">Sign in</a></p>\n",
        error = error_block(error),
        base = escape(base),
        hidden = hidden_fields(request),
        name = field("name", "Name", "type=\"text\" autocomplete=\"name\" required autofocus maxlength=\"200\"", name, has_error),
        email = field("email", "Email", "type=\"email\" autocomplete=\"email\" required", email, has_error),
        query = escape(&request.query()),
    );
    layout(base, "Create an account", &main)
}

/// A dead end: the link that brought the user here cannot be honoured (unknown client, unregistered redirect URI).
pub(crate) fn message_page(base: &str, title: &str, message: &str) -> String {
    let main = format!("<h1>{}</h1>\n<p>{}</p>\n", escape(title), escape(message));
    layout(base, title, &main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn pages_have_no_inline_script_or_style() {
        let request = AuthRequest {
            client_id: "web".into(),
            redirect_uri: "http://app.test/cb".into(),
            state: Some("\"><script>alert(1)</script>".into()),
            scope: "openid".into(),
            code_challenge: "c".into(),
            nonce: None,
        };
        let pages = [
            login_page("/idp", &request, "<b>", Some("Incorrect email or password.")),
            signup_page("/idp", &request, "", "", None),
            message_page("/idp", "Oops", "<nope>"),
        ];
        for page in pages {
            assert!(!page.contains("<script"), "{page}");
            assert!(!page.contains("style="), "{page}");
            assert!(!page.contains("<style"), "{page}");
            assert!(page.contains("href=\"/idp/assets/login.css\""));
        }
    }
}
