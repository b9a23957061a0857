//! The Microsoft identity platform. Quirks: the directory (`tenant`,
//! default `common`) is part of every endpoint's path; the v2 endpoints take
//! `scope` and issue a refresh token only for `offline_access`; Dynamics 365
//! uses the v1 endpoints, which take the `resource` instead. A token is
//! checked where it is meant to be used: Microsoft Graph's `/me` for the
//! Graph connectors (their default scopes hold `User.Read`), Azure
//! Resource Manager's subscription list for Azure; Dynamics 365 tokens
//! belong to an organization's own API and are not checked.

use flowauth_sdk::call::Call;
use flowauth_sdk::declaration::{Declaration, Field, Validate};
use flowauth_sdk::standard::{Family, Pairs};
use flowauth_sdk::{Grant, OauthError, error, pairs};

const TENANT: Field =
    Field::default("tenant", "common", "The directory: a tenant id or domain, or common, organizations, consumers");

/// The v2 endpoints, shared by the Graph connectors and Azure.
const V2: Declaration = Declaration {
    base_url: "https://login.microsoftonline.com",
    authorize: "/{tenant}/oauth2/v2.0/authorize",
    token: "/{tenant}/oauth2/v2.0/token",
    inputs: &[TENANT],
    pkce: true,
    ..Declaration::OAUTH2
};

const OFFLINE: (&str, &str) = ("offline_access", "Keep access when you are not signed in (a refresh token)");
const USER_READ: (&str, &str) = ("User.Read", "Sign you in and read your profile");

/// Who the token's user is, at Microsoft Graph: 200 active, 401 not.
const GRAPH_ME: Validate = Validate::Bearer("https://graph.microsoft.com/v1.0/me");

/// The Microsoft family.
pub struct Microsoft;

impl Family for Microsoft {
    const CONNECTORS: &'static [Declaration] = &[
        Declaration {
            name: "azure",
            title: "Azure",
            scopes: &[("https://management.azure.com/user_impersonation", "Manage Azure resources as you"), OFFLINE],
            default_scopes: &["https://management.azure.com/user_impersonation", "offline_access"],
            validate: Validate::Bearer("https://management.azure.com/subscriptions?api-version=2022-12-01"),
            ..V2
        },
        Declaration {
            name: "excel",
            title: "Excel Online",
            scopes: &[("Files.ReadWrite", "Read and write your files"), USER_READ, OFFLINE],
            default_scopes: &["Files.ReadWrite", "User.Read", "offline_access"],
            validate: GRAPH_ME,
            ..V2
        },
        Declaration {
            name: "microsoft_365",
            title: "Office 365",
            scopes: &[
                ("Mail.ReadWrite", "Read and write your mail"),
                ("Mail.Send", "Send mail as you"),
                ("Calendars.ReadWrite", "Read and write your calendars"),
                ("Contacts.ReadWrite", "Read and write your contacts"),
                USER_READ,
                OFFLINE,
            ],
            default_scopes: &[
                "Mail.ReadWrite",
                "Mail.Send",
                "Calendars.ReadWrite",
                "Contacts.ReadWrite",
                "User.Read",
                "offline_access",
            ],
            validate: GRAPH_ME,
            ..V2
        },
        Declaration {
            name: "onedrive",
            title: "OneDrive",
            scopes: &[("Files.ReadWrite.All", "Read and write all files you can reach"), USER_READ, OFFLINE],
            default_scopes: &["Files.ReadWrite.All", "User.Read", "offline_access"],
            validate: GRAPH_ME,
            ..V2
        },
        Declaration {
            name: "dynamics365",
            title: "Dynamics365",
            authorize: "/{tenant}/oauth2/authorize",
            token: "/{tenant}/oauth2/token",
            settings: &[Field::optional(
                "RESOURCE_URL",
                "The Dynamics 365 organization, e.g. https://acme.crm.dynamics.com",
            )],
            inputs: &[
                TENANT,
                Field::optional(
                    "resource",
                    "The Dynamics 365 organization URL, when the provider sets no RESOURCE_URL",
                ),
            ],
            scopes: &[("user_impersonation", "Access Dynamics 365 as you")],
            ..V2
        },
    ];

    fn authorize_params(call: &Call, query: &mut Pairs) -> Result<(), OauthError> {
        v1_resource(call, query)
    }

    fn token_params(call: &Call, _grant: Grant, form: &mut Pairs) -> Result<(), OauthError> {
        v1_resource(call, form)
    }
}

/// The v1 endpoints name the API by `resource`: the user's, else the
/// provider's `RESOURCE_URL`.
fn v1_resource(call: &Call, params: &mut Pairs) -> Result<(), OauthError> {
    if !call.declaration.authorize.ends_with("/oauth2/authorize") {
        return Ok(());
    }
    let resource = call.value("resource").or_else(|| call.value("RESOURCE_URL")).ok_or_else(|| {
        error::config(format!(
            "connector {} needs the organization URL: set RESOURCE_URL in the provider settings or pass resource with the token",
            call.declaration.name
        ))
    })?;
    pairs::set(params, "resource", resource);
    Ok(())
}

flowauth_sdk::family!(Microsoft);
