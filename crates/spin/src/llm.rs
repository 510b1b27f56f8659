//! [`Llm`] over Spin's `fermyon:spin/llm` interface: the runtime
//! configuration's `[llm_compute]` decides which server answers, the
//! component's `ai_models` which models it may name.

use adspin_core::llm::{Inference, InferenceParams, Llm, LlmError};
use spin_sdk::llm;

/// Spin's language models.
#[derive(Debug, Default, Clone, Copy)]
pub struct SpinLlm;

impl Llm for SpinLlm {
    fn infer(
        &self,
        model: &str,
        prompt: &str,
        params: InferenceParams,
    ) -> Result<Inference, LlmError> {
        let options = llm::InferencingParams {
            max_tokens: params.max_tokens,
            temperature: params.temperature,
            ..llm::InferencingParams::default()
        };
        match llm::infer_with_options(llm::InferencingModel::Other(model), prompt, options) {
            Ok(result) => Ok(Inference {
                text: result.text,
                prompt_tokens: result.usage.prompt_token_count,
                generated_tokens: result.usage.generated_token_count,
            }),
            Err(llm::Error::ModelNotSupported) => Err(LlmError::ModelNotSupported),
            Err(llm::Error::RuntimeError(message)) => Err(LlmError::Runtime(message)),
            Err(llm::Error::InvalidInput(message)) => Err(LlmError::InvalidInput(message)),
        }
    }
}
