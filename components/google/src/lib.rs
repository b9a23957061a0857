//! Google. Quirk: a refresh token is issued only with
//! `access_type=offline`, and to a user who consented before only with
//! `prompt=consent`; scopes are space-separated URLs. Tokens are checked
//! at Google's own tokeninfo endpoint.

use flowauth_sdk::declaration::{Declaration, Revoke, Validate};
use flowauth_sdk::standard::Family;

/// What every Google connector shares.
const GOOGLE: Declaration = Declaration {
    base_url: "https://accounts.google.com",
    authorize: "https://accounts.google.com/o/oauth2/v2/auth",
    token: "https://oauth2.googleapis.com/token",
    revoke: Revoke::Rfc7009("https://oauth2.googleapis.com/revoke"),
    validate: Validate::TokenInfo("https://oauth2.googleapis.com/tokeninfo"),
    authorize_params: &[("access_type", "offline"), ("prompt", "consent"), ("include_granted_scopes", "true")],
    pkce: true,
    ..Declaration::OAUTH2
};

/// The Google family.
pub struct Google;

impl Family for Google {
    const CONNECTORS: &'static [Declaration] = &[
        Declaration {
            name: "google_gmail",
            title: "Gmail",
            scopes: &[
                ("https://mail.google.com/", "Read, compose, send and delete all your email"),
                ("https://www.googleapis.com/auth/gmail.readonly", "Read your email and settings"),
                ("https://www.googleapis.com/auth/gmail.send", "Send email on your behalf"),
            ],
            default_scopes: &["https://mail.google.com/"],
            ..GOOGLE
        },
        Declaration {
            name: "google_drive",
            title: "Google Drive",
            scopes: &[
                ("https://www.googleapis.com/auth/drive", "See, edit, create and delete all your Drive files"),
                ("https://www.googleapis.com/auth/drive.file", "Only the Drive files this app opens or creates"),
                ("https://www.googleapis.com/auth/drive.readonly", "See and download all your Drive files"),
            ],
            default_scopes: &["https://www.googleapis.com/auth/drive"],
            ..GOOGLE
        },
        Declaration {
            name: "google_form",
            title: "Google Form",
            scopes: &[
                ("https://www.googleapis.com/auth/forms.body", "See, edit, create and delete your forms"),
                ("https://www.googleapis.com/auth/forms.responses.readonly", "See the responses to your forms"),
                ("https://www.googleapis.com/auth/drive.file", "Only the Drive files this app opens or creates"),
            ],
            default_scopes: &[
                "https://www.googleapis.com/auth/forms.body",
                "https://www.googleapis.com/auth/forms.responses.readonly",
            ],
            ..GOOGLE
        },
        Declaration {
            name: "google_sheet",
            title: "Google Sheet",
            scopes: &[
                ("https://www.googleapis.com/auth/spreadsheets", "See, edit, create and delete your spreadsheets"),
                ("https://www.googleapis.com/auth/spreadsheets.readonly", "See your spreadsheets"),
            ],
            default_scopes: &["https://www.googleapis.com/auth/spreadsheets"],
            ..GOOGLE
        },
        Declaration {
            name: "google_task",
            title: "Google Tasks",
            scopes: &[
                ("https://www.googleapis.com/auth/tasks", "Create, edit, organize and delete your tasks"),
                ("https://www.googleapis.com/auth/tasks.readonly", "See your tasks"),
            ],
            default_scopes: &["https://www.googleapis.com/auth/tasks"],
            ..GOOGLE
        },
        Declaration {
            name: "google_translator",
            title: "Google Translator",
            scopes: &[
                ("https://www.googleapis.com/auth/cloud-translation", "Translate text with Cloud Translation"),
                ("https://www.googleapis.com/auth/cloud-platform", "See, edit and delete your Google Cloud data"),
            ],
            default_scopes: &["https://www.googleapis.com/auth/cloud-translation"],
            ..GOOGLE
        },
        Declaration {
            name: "youtube",
            title: "Youtube",
            scopes: &[
                ("https://www.googleapis.com/auth/youtube", "Manage your YouTube account"),
                ("https://www.googleapis.com/auth/youtube.readonly", "View your YouTube account"),
                ("https://www.googleapis.com/auth/youtube.upload", "Upload YouTube videos"),
            ],
            default_scopes: &["https://www.googleapis.com/auth/youtube"],
            ..GOOGLE
        },
        Declaration {
            name: "apiai",
            title: "Dialogflow",
            scopes: &[
                ("https://www.googleapis.com/auth/dialogflow", "View, manage and query your Dialogflow agents"),
                ("https://www.googleapis.com/auth/cloud-platform", "See, edit and delete your Google Cloud data"),
            ],
            default_scopes: &["https://www.googleapis.com/auth/dialogflow"],
            ..GOOGLE
        },
    ];
}

flowauth_sdk::family!(Google);
