//! The Page's account and webhook state: `check` ("who am I" with the Page token, and which
//! fields the Page's subscribed apps receive) and `register` (subscribe the Page's fields).

use reqwest::Method;
use serde_json::Value;

use super::send::{graph, object_id, GraphCall};
use super::{FacebookChannel, FacebookSettings};
use crate::channels::{CheckReport, Registration, SendError};

/// The webhook fields this channel needs.
pub fn wanted_fields(s: &FacebookSettings) -> Vec<&'static str> {
    let mut f = Vec::new();
    if s.feed {
        f.push("feed");
    }
    if s.messenger {
        f.extend(["messages", "messaging_postbacks"]);
    }
    f
}

fn get(path: String, query: Vec<(&'static str, String)>) -> GraphCall {
    GraphCall {
        method: Method::GET,
        path,
        query,
        body: None,
    }
}

/// `GET /me` with the Page token (the account is the Page), then the Page's subscribed apps.
pub async fn check(ch: &FacebookChannel) -> Result<CheckReport, SendError> {
    let s = &ch.settings;
    let v = &s.graph_version;
    let me = graph(
        ch,
        &get(format!("/{v}/me"), vec![("fields", "id,name".into())]),
    )
    .await?;
    let mut report = CheckReport {
        account: me.get("name").and_then(Value::as_str).map(String::from),
        ..CheckReport::default()
    };
    let me_id = me.get("id").and_then(Value::as_str).unwrap_or("");
    if me_id != s.page_id {
        report.notes.push(format!(
            "the token belongs to {me_id:?}, not page_id {:?}: use a Page access token of this Page",
            s.page_id
        ));
    }
    let page = object_id(&s.page_id)?;
    let apps = match graph(ch, &get(format!("/{v}/{page}/subscribed_apps"), Vec::new())).await {
        Ok(apps) => apps,
        Err(SendError::Permanent(e)) => {
            report
                .notes
                .push(format!("cannot read the Page's subscribed apps: {e}"));
            return Ok(report);
        }
        Err(e) => return Err(e),
    };
    let mut subscribed: Vec<String> = Vec::new();
    let mut described = Vec::new();
    for app in apps
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let fields: Vec<String> = app
            .get("subscribed_fields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(String::from))
            .collect();
        let name = app.get("name").and_then(Value::as_str).unwrap_or("an app");
        described.push(format!("{name}: {}", fields.join(", ")));
        subscribed.extend(fields);
    }
    report.webhook = Some(if described.is_empty() {
        "no app subscribed to this Page".into()
    } else {
        described.join("; ")
    });
    let missing: Vec<&str> = wanted_fields(s)
        .into_iter()
        .filter(|f| !subscribed.iter().any(|x| x == f))
        .collect();
    if !missing.is_empty() {
        report.notes.push(format!(
            "not subscribed to {}: run `hearken channels register-webhooks`",
            missing.join(", ")
        ));
    }
    Ok(report)
}

/// Subscribe the Page to the app's webhook fields. The callback URL and verify token are per
/// app and set in the App Dashboard, which the Graph API does not do with a Page token.
pub async fn register(ch: &FacebookChannel, webhook_url: &str) -> Result<Registration, SendError> {
    let s = &ch.settings;
    let fields = wanted_fields(s);
    if fields.is_empty() {
        return Ok(Registration::NotSupported(
            "feed and messenger are both off: there is nothing to subscribe".into(),
        ));
    }
    let page = object_id(&s.page_id)?;
    let call = GraphCall {
        method: Method::POST,
        path: format!("/{}/{page}/subscribed_apps", s.graph_version),
        query: vec![("subscribed_fields", fields.join(","))],
        body: None,
    };
    let answer = graph(ch, &call).await?;
    let ok = matches!(answer.get("success"), Some(Value::Bool(true)))
        || answer.get("success").and_then(Value::as_str) == Some("true");
    if !ok {
        return Err(SendError::Permanent(format!(
            "facebook: subscribed_apps answered {answer}"
        )));
    }
    Ok(Registration::Registered(format!(
        "Page {} subscribed to {}. The callback URL is set per app, by hand: App Dashboard > \
         Webhooks > Page > callback URL {webhook_url} with this channel's verify_token",
        s.page_id,
        fields.join(", ")
    )))
}
