//! `fermyon:spin/llm@2.0.0` over a remote OpenAI-compatible server, as
//! Spin's runtime configuration sets it up:
//!
//! ```toml
//! [llm_compute]
//! type = "remote_http"
//! url = "http://127.0.0.1:11434"   # Ollama, vLLM, llama.cpp, a hosted API
//! auth_token = "..."
//! api_type = "open_ai"
//! ```
//!
//! Behaviour read from Spin v4.0.2 (`crates/factor-llm`,
//! `crates/llm-remote-http/src/open_ai`): a model the component's
//! `ai_models` does not list is `invalid-input` naming it; `infer` POSTs
//! `{messages: [{role: "user", content: prompt}], model,
//! max_completion_tokens, frequency_penalty}` to the URL joined with
//! `/v1/chat/completions`, with `authorization: bearer <token>`; the
//! answer is read as a completion (`choices[0].message.content`, `usage`)
//! or as `{error: {message}}` whatever the status, anything else being a
//! `runtime-error`; there is no deadline past connecting, and the egress
//! guard does not apply (the operator chose the URL). Without
//! `[llm_compute]` every call is a `runtime-error` (Spin would try its
//! local models, which this host does not have). Embeddings are not
//! implemented (`runtime-error`).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde::Deserialize;
use wasmtime::component::HasData;

use crate::bindings::fermyon::spin::llm::{
    EmbeddingsResult, Error, Host, InferencingParams, InferencingResult, InferencingUsage,
};
use crate::egress::{BlockedNetworks, Egress, Timeouts};

/// Most bytes of an answer read (Spin's `MAX_HOST_BUFFERED_BYTES`).
const MAX_RESULT_BYTES: usize = 128 << 20;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const CHAT_COMPLETIONS_ENDPOINT: &str = "/v1/chat/completions";

/// The `[llm_compute]` table of a runtime configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LlmCompute {
    RemoteHttp {
        url: String,
        auth_token: String,
        #[serde(default)]
        api_type: ApiType,
    },
}

/// The protocol of a remote server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiType {
    OpenAi,
    #[default]
    Default,
}

/// The engine every component's calls go to.
#[derive(Debug)]
pub struct RemoteEngine {
    url: url::Url,
    auth_token: String,
    /// Its own client: the model server is reached whatever the egress
    /// guard blocks for components.
    egress: Egress,
}

impl RemoteEngine {
    /// The engine of `[llm_compute]` (`None` without one); only the
    /// OpenAI-compatible API is implemented.
    pub fn from_config(config: Option<toml::Value>) -> Result<Option<Self>> {
        let Some(value) = config else {
            return Ok(None);
        };
        let compute: LlmCompute = value.try_into().map_err(|error: toml::de::Error| {
            anyhow::anyhow!(
                "[llm_compute]: {} (adspin-host implements type = \"remote_http\" with \
                 api_type = \"open_ai\")",
                error.message()
            )
        })?;
        let LlmCompute::RemoteHttp {
            url,
            auth_token,
            api_type,
        } = compute;
        let url = url::Url::parse(&url)
            .map_err(|error| anyhow::anyhow!("[llm_compute] url {url:?}: {error}"))?;
        if api_type != ApiType::OpenAi {
            bail!(
                "[llm_compute]: adspin-host implements only api_type = \"open_ai\" \
                 (an OpenAI-compatible /v1/chat/completions)"
            );
        }
        Ok(Some(Self {
            url,
            auth_token,
            egress: Egress::new(Arc::new(BlockedNetworks::default())),
        }))
    }

    pub fn url(&self) -> &url::Url {
        &self.url
    }

    async fn infer(
        &self,
        model: String,
        prompt: String,
        params: InferencingParams,
    ) -> Result<InferencingResult, Error> {
        let url = self
            .url
            .join(CHAT_COMPLETIONS_ENDPOINT)
            .map_err(|_| Error::RuntimeError("Failed to create URL".into()))?;
        let body = serde_json::json!({
            "messages": [{"role": "user", "content": prompt}],
            "model": model,
            "max_completion_tokens": params.max_tokens,
            "frequency_penalty": params.repeat_penalty,
        });
        let request = http::Request::post(url.as_str())
            .header("authorization", format!("bearer {}", self.auth_token))
            .header("content-type", "application/json")
            .header("host", host_header(&url))
            .body(
                Full::new(Bytes::from(body.to_string()))
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            )
            .map_err(|_| Error::RuntimeError("Failed to create the request".into()))?;
        let request_error = |error: &dyn std::fmt::Display| {
            Error::RuntimeError(format!(
                "POST {CHAT_COMPLETIONS_ENDPOINT} request error: {error}"
            ))
        };
        let timeouts = Timeouts {
            connect: CONNECT_TIMEOUT,
            first_byte: None,
        };
        let (response, _io) = self
            .egress
            .send(request, timeouts, Arc::from("llm"))
            .await
            .map_err(|error| request_error(&error))?;
        let body = http_body_util::Limited::new(response.into_body(), MAX_RESULT_BYTES)
            .collect()
            .await
            .map_err(|error| request_error(&error))?
            .to_bytes();
        parse_completion(&body)
    }
}

fn host_header(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// A chat completion's answer, read as Spin reads it.
fn parse_completion(body: &[u8]) -> Result<InferencingResult, Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Answer {
        Success { choices: Vec<Choice>, usage: Usage },
        Error { error: ErrorBody },
    }
    #[derive(Deserialize)]
    struct Choice {
        message: Message,
    }
    #[derive(Deserialize)]
    struct Message {
        content: String,
    }
    #[derive(Deserialize)]
    struct Usage {
        completion_tokens: u32,
        prompt_tokens: u32,
    }
    #[derive(Deserialize)]
    struct ErrorBody {
        message: String,
    }
    match serde_json::from_slice::<Answer>(body) {
        Ok(Answer::Success { choices, usage }) => Ok(InferencingResult {
            text: choices
                .first()
                .map_or_else(String::new, |c| c.message.content.clone()),
            usage: InferencingUsage {
                prompt_token_count: usage.prompt_tokens,
                generated_token_count: usage.completion_tokens,
            },
        }),
        Ok(Answer::Error { error }) => Err(Error::RuntimeError(error.message)),
        Err(error) => Err(Error::RuntimeError(format!(
            "Failed to deserialize response for \"POST  {CHAT_COMPLETIONS_ENDPOINT}\": {error}"
        ))),
    }
}

/// What one instance may use: the engine and its component's `ai_models`.
pub struct LlmAccess {
    pub engine: Option<Arc<RemoteEngine>>,
    pub allowed_models: Arc<HashSet<String>>,
}

/// Marker connecting an instance's [`LlmAccess`] to the linker.
pub struct LlmData;

impl HasData for LlmData {
    type Data<'a> = &'a LlmAccess;
}

impl Host for &LlmAccess {
    async fn infer(
        &mut self,
        model: String,
        prompt: String,
        params: Option<InferencingParams>,
    ) -> wasmtime::Result<Result<InferencingResult, Error>> {
        if !self.allowed_models.contains(&model) {
            return Ok(Err(Error::InvalidInput(format!(
                "The component does not have access to use '{model}'. To give the component access, add '{model}' to the 'ai_models' key for the component in your spin.toml manifest"
            ))));
        }
        let Some(engine) = &self.engine else {
            return Ok(Err(Error::RuntimeError(
                "no LLM is configured: adspin-host needs [llm_compute] type = \"remote_http\", \
                 api_type = \"open_ai\" in the runtime configuration file"
                    .into(),
            )));
        };
        let params = params.unwrap_or(InferencingParams {
            max_tokens: 100,
            repeat_penalty: 1.1,
            repeat_penalty_last_n_token_count: 64,
            temperature: 0.8,
            top_k: 40,
            top_p: 0.9,
        });
        Ok(engine.infer(model, prompt, params).await)
    }

    async fn generate_embeddings(
        &mut self,
        model: String,
        _text: Vec<String>,
    ) -> wasmtime::Result<Result<EmbeddingsResult, Error>> {
        if !self.allowed_models.contains(&model) {
            return Ok(Err(Error::InvalidInput(format!(
                "The component does not have access to use '{model}'. To give the component access, add '{model}' to the 'ai_models' key for the component in your spin.toml manifest"
            ))));
        }
        Ok(Err(Error::RuntimeError(
            "adspin-host does not implement generate-embeddings".into(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_configuration_names_an_open_ai_compatible_server() {
        let table: toml::Table = toml::from_str(
            "[llm_compute]\ntype = \"remote_http\"\nurl = \"http://127.0.0.1:11434\"\n\
             auth_token = \"t\"\napi_type = \"open_ai\"\n",
        )
        .expect("toml");
        let engine = RemoteEngine::from_config(table.get("llm_compute").cloned())
            .expect("valid")
            .expect("configured");
        assert_eq!(engine.url().as_str(), "http://127.0.0.1:11434/");
        assert!(RemoteEngine::from_config(None).expect("none").is_none());
        for refused in [
            "[llm_compute]\ntype = \"spin\"\n",
            "[llm_compute]\ntype = \"remote_http\"\nurl = \"http://x\"\nauth_token = \"t\"\n",
        ] {
            let table: toml::Table = toml::from_str(refused).expect("toml");
            assert!(RemoteEngine::from_config(table.get("llm_compute").cloned()).is_err());
        }
    }

    #[test]
    fn completions_and_error_answers_are_read_as_spin_reads_them() {
        let ok = parse_completion(
            br#"{"choices":[{"message":{"role":"assistant","content":"hi"}}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#,
        )
        .expect("completion");
        assert_eq!(ok.text, "hi");
        assert_eq!(ok.usage.prompt_token_count, 3);
        match parse_completion(br#"{"error":{"message":"overloaded"}}"#) {
            Err(Error::RuntimeError(message)) => assert_eq!(message, "overloaded"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_completion(b"<html>502</html>"),
            Err(Error::RuntimeError(_))
        ));
    }
}
