//! `POST /v1/upload` and the public `/files/<file_id>` URLs.

use serde_json::json;

use adspin_e2e::TestApp;
use adspin_e2e::demo::ADVERTISER_KEY;

use super::{
    as_key, assert_error, bearer, create_campaign, first_children, other_tenant, start, v1,
};

/// A valid 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x64, 0x60, 0xF8, 0x5F,
    0x0F, 0x00, 0x02, 0x87, 0x01, 0x80, 0xEB, 0x47, 0xBA, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

fn upload_as(app: &TestApp, key: &str, part_name: &str, bytes: &[u8]) -> adspin_e2e::TestResponse {
    let mut body = format!(
        "--b0und\r\nContent-Disposition: form-data; name=\"{part_name}\"; filename=\"photo.gif\"\r\nContent-Type: image/gif\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n--b0und--\r\n");
    let auth = bearer(key);
    app.request(
        "POST",
        "/v1/upload",
        &[
            ("authorization", &auth),
            ("content-type", "multipart/form-data; boundary=b0und"),
        ],
        Some(&body),
    )
}

fn upload(app: &TestApp, bytes: &[u8]) -> adspin_e2e::TestResponse {
    upload_as(app, ADVERTISER_KEY, "file", bytes)
}

#[test]
fn an_image_is_stored_and_served_at_a_stable_public_url() {
    let app = start();
    let response = upload(&app, PNG);
    assert_eq!(response.status, 201, "{}", response.text());
    let file_id = response.json()["file_id"]
        .as_str()
        .expect("file_id")
        .to_string();
    assert!(
        file_id.starts_with("uploads/") && file_id.ends_with(".png"),
        "sniffed, not the declared gif: {file_id}"
    );
    let served = app.get(&format!("/files/{file_id}"));
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("image/png"));
    assert_eq!(served.body, PNG);
    assert!(
        served
            .header("cache-control")
            .expect("cache")
            .contains("immutable")
    );

    let campaign = create_campaign(&app, "With image");
    let (_, ad_id) = first_children(&app, ADVERTISER_KEY, campaign["id"].as_str().expect("id"));
    let updated = v1(
        &app,
        "POST",
        &format!("/v1/ads/{ad_id}"),
        Some(
            &json!({"creative": {"type": "chat_card", "title": "With a picture", "body": "Look", "target_url": "https://e.com",
                                  "file_id": file_id}}),
        ),
    );
    assert_eq!(updated.status, 200, "{}", updated.text());
    let image_url = updated.json()["creative"]["image_url"]
        .as_str()
        .expect("image_url")
        .to_string();
    assert_eq!(image_url, format!("{}/files/{file_id}", app.base_url()));
}

#[test]
fn uploads_are_checked_by_their_bytes() {
    let app = start();
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    assert_error(
        &upload(&app, gif),
        400,
        "unsupported_mimetype",
        Some("file"),
    );
    assert_error(
        &upload(&app, b"definitely not an image"),
        400,
        "invalid_file",
        Some("file"),
    );
    assert_error(&upload(&app, &PNG[..24]), 400, "invalid_file", Some("file"));
    let mut huge = PNG.to_vec();
    huge.resize(5 * 1024 * 1024 + 1, 0);
    assert_error(&upload(&app, &huge), 400, "file_too_large", Some("file"));
    assert_error(
        &upload_as(&app, ADVERTISER_KEY, "picture", PNG),
        400,
        "invalid_value",
        Some("file"),
    );
    let auth = bearer(ADVERTISER_KEY);
    let by_url = app.request(
        "POST",
        "/v1/upload",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(br#"{"image_url":"http://169.254.169.254/latest/meta-data"}"#),
    );
    assert_error(&by_url, 400, "invalid_image_url", Some("image_url"));
    let plain = app.request(
        "POST",
        "/v1/upload",
        &[("authorization", &auth), ("content-type", "text/plain")],
        Some(PNG),
    );
    assert_error(&plain, 400, "invalid_value", Some("file"));
}

/// 68 bytes declaring 100000×100000 pixels.
const HUGE_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0, 0x08, 0x00, 0x00, 0x00, 0x00, 0x8D, 0x39, 0x54,
    0x14, 0x00, 0x00, 0x00, 0x0B, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x60, 0x40, 0x05, 0x00,
    0x00, 0x10, 0x00, 0x01, 0x39, 0xBD, 0x8F, 0x65, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44,
    0xAE, 0x42, 0x60, 0x82,
];

/// A 16×16 grayscale PNG whose data inflates to 64 MiB.
fn png_bomb() -> Vec<u8> {
    use std::io::Write;
    let chunk = |out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]| {
        out.extend_from_slice(&u32::try_from(data.len()).expect("small").to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    };
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(&vec![0; 64 * 1024 * 1024])
        .expect("deflate");
    let data = encoder.finish().expect("deflate");
    let mut png = PNG[..8].to_vec();
    chunk(
        &mut png,
        b"IHDR",
        &[0, 0, 0, 16, 0, 0, 0, 16, 8, 0, 0, 0, 0],
    );
    chunk(&mut png, b"IDAT", &data);
    chunk(&mut png, b"IEND", &[]);
    png
}

#[test]
fn decompression_bombs_are_refused() {
    let app = start();
    let huge = upload(&app, HUGE_PNG);
    assert_error(&huge, 400, "image_too_large", Some("file"));
    let bomb = png_bomb();
    assert!(bomb.len() < 200 * 1024, "{} bytes", bomb.len());
    assert_error(&upload(&app, &bomb), 400, "invalid_file", Some("file"));
    // A real image still uploads.
    assert_eq!(upload(&app, PNG).status, 201);
}

#[test]
fn an_upload_of_another_organization_cannot_be_used() {
    let app = start();
    let (_, rival) = other_tenant(&app);
    let theirs = upload_as(&app, &rival, "file", PNG).json()["file_id"]
        .as_str()
        .expect("file_id")
        .to_string();
    let campaign = create_campaign(&app, "Mine");
    let (group_id, _) = first_children(&app, ADVERTISER_KEY, campaign["id"].as_str().expect("id"));
    let response = v1(
        &app,
        "POST",
        "/v1/ads",
        Some(
            &json!({"ad_group_id": group_id, "creative": {"type": "chat_card", "title": "Borrowed", "body": "b",
                                                           "target_url": "https://e.com", "file_id": theirs}}),
        ),
    );
    assert_error(&response, 400, "invalid_value", Some("creative.file_id"));
    let _ = as_key(&app, &rival, "GET", "/v1/ad_account", None);
}

#[test]
fn unknown_files_are_404() {
    let app = start();
    assert_eq!(
        app.get("/files/uploads/2026/01/0123456789abcdef0123456789abcdef.png")
            .status,
        404
    );
    assert_eq!(app.get("/files/../../etc/passwd").status, 404);
}
