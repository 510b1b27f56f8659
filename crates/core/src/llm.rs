//! Language models, behind a trait: the Spin adapter calls Spin's LLM
//! interface (`fermyon:spin/llm`, pointed at a model by the runtime
//! configuration), tests answer from a fake. A call blocks until the
//! model answers; the interface has no deadline of its own.

/// How to infer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InferenceParams {
    /// Most tokens the model may generate.
    pub max_tokens: u32,
    pub temperature: f32,
}

/// What a model answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inference {
    pub text: String,
    pub prompt_tokens: u32,
    pub generated_tokens: u32,
}

/// Why a model gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("the model is not supported")]
    ModelNotSupported,
    #[error("runtime error: {0}")]
    Runtime(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

/// A language model runtime.
pub trait Llm {
    /// Completes `prompt` with `model`.
    fn infer(
        &self,
        model: &str,
        prompt: &str,
        params: InferenceParams,
    ) -> Result<Inference, LlmError>;
}
