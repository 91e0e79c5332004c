//! Contacts and identities: a new handle makes a contact; linking needs evidence and undoes.

use serde_json::json;
use wiremock::MockServer;

use crate::helpers::{spawn_app, Db};
use crate::on_both_stores;
use crate::pipeline::{event, post_api, with_api_channel, SECRET};

on_both_stores!(linking_two_identities_needs_evidence_and_can_be_undone);

async fn linking_two_identities_needs_evidence_and_can_be_undone(db: Db) {
    let platform = MockServer::start().await;
    let app = spawn_app(db, |s| with_api_channel(s, &platform)).await;
    post_api(
        &app,
        &event(
            "e1",
            "public",
            "post-1",
            "dana_public",
            "where is my order?",
        ),
        SECRET,
    )
    .await;
    app.chat(&crate::helpers::session(), "m1", "where is my order?")
        .await;
    app.drain().await;
    let convs = app.get("/v1/conversations").await;
    let convs = convs["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 2);
    let (a, b) = (
        convs[0]["contact_id"].as_i64().unwrap(),
        convs[1]["contact_id"].as_i64().unwrap(),
    );
    assert_ne!(a, b, "two unknown handles are two contacts");
    let b_contact = app.get(&format!("/v1/contacts/{b}")).await;
    let identity = b_contact["contact"]["identities"][0]["id"]
        .as_i64()
        .unwrap();

    let (status, body) = app
        .send_json(
            reqwest::Method::POST,
            &format!("/v1/contacts/{a}/links"),
            json!({"identity_id": identity, "actor": "agent:mulder"}),
        )
        .await;
    assert_eq!(status, 400, "no evidence, no link: {body}");
    let (status, body) = app.send_json(reqwest::Method::POST, &format!("/v1/contacts/{a}/links"),
        json!({"identity_id": identity, "actor": "agent:mulder",
               "evidence": {"kind": "agent_confirmed", "note": "same order number NW-48213 in both"}})).await;
    assert_eq!(status, 200, "{body}");
    let link_id = body["link"]["id"].as_i64().unwrap();
    let merged = app.get(&format!("/v1/contacts/{a}")).await;
    assert_eq!(merged["contact"]["identities"].as_array().unwrap().len(), 2);
    assert_eq!(
        merged["conversations"].as_array().unwrap().len(),
        2,
        "history spans both platforms: {merged:#}"
    );

    let (status, _) = app
        .send_json(
            reqwest::Method::POST,
            &format!("/v1/links/{link_id}/undo"),
            json!({"actor": "agent:scully"}),
        )
        .await;
    assert_eq!(status, 200);
    let split = app.get(&format!("/v1/contacts/{a}")).await;
    assert_eq!(split["contact"]["identities"].as_array().unwrap().len(), 1);
    assert_eq!(split["conversations"].as_array().unwrap().len(), 1);
    assert_eq!(split["links"][0]["undone_by"], "agent:scully");
    let (status, _) = app
        .send_json(
            reqwest::Method::POST,
            &format!("/v1/links/{link_id}/undo"),
            json!({"actor": "x"}),
        )
        .await;
    assert_eq!(status, 409, "an undone link cannot be undone twice");
    let linked = app.get("/v1/events?kind=contact.linked").await;
    assert_eq!(linked["events"].as_array().unwrap().len(), 1);
}
