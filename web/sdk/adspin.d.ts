// Types of the adspin publisher SDK v1 (/sdk/v1/adspin.js and /sdk/v1/adspin.mjs).
// Guide: docs/PUBLISHERS.md.

/** One message of the conversation, oldest first. */
export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
  /** ISO 8601 string or Unix seconds. */
  timestamp?: string | number;
}

/** The publisher settings a request may override (enforced by the ad server). */
export interface PublisherConfig {
  /** No ad before this turn (the SDK does not even ask). */
  ad_offset?: number;
  /** At most one ad per this many requests in a chat. */
  max_frequency?: number;
  /** Longest headline shown (>= 30); longer creatives are not served. */
  max_headline_chars?: number;
  /** false: never show the ad's image. */
  image_enabled?: boolean;
}

export type Theme = "auto" | "light" | "dark";

export interface InitOptions {
  /** The publisher key (the `thrad-api-key` header). */
  publisherKey: string;
  /** The ad server's origin; defaults to the origin the SDK was loaded from. */
  endpoint?: string;
  /** Abort the bid request after this many milliseconds (default 5000). */
  timeoutMs?: number;
  /** false marks test traffic (default true). */
  production?: boolean;
  config?: PublisherConfig;
  /** The ad formats the chat shows (sent as the bid request's
   *  `ad_formats`); the server's default is ["sponsored_message"]. */
  adFormats?: ("sponsored_message" | "sponsored_poll")[];
  /** "auto" follows prefers-color-scheme (default). */
  theme?: Theme;
  /** false: the page styles the card itself; no stylesheet is added. */
  styles?: boolean;
  /** The stylesheet added; defaults to the adspin.css beside the SDK. */
  stylesheet?: string;
  /** Called for every event, after the listeners registered with on(). */
  onEvent?: (event: AdSpinEvent) => void;
}

export interface PollOption {
  id: string;
  text: string;
}

export interface Poll {
  question: string;
  options: PollOption[];
  /** Where the vote is sent (POST {"option_id"}); null when the bid has none. */
  voteUrl: string | null;
  resultsUrl: string | null;
}

/** A poll's votes so far, as its vote link answers. */
export interface PollResults {
  sponsored_poll_id: string;
  question: string;
  total_votes: number;
  selected_option_id: string | null;
  duplicate?: boolean;
  options: { id: string; text: string; votes: number; percentage: number }[];
}

/** A rendered ad. */
export interface Ad {
  bidId: string;
  advertiser: string;
  headline: string;
  description: string;
  ctaText: string;
  /** The click URL (redirects to the landing page and records the click). */
  url: string;
  imageUrl: string | null;
  poll: Poll | null;
  /** Clearing CPM in dollars. */
  price: number | null;
  /** The card, an <aside class="adspin-card">. */
  element: HTMLElement;
  /** Whether the view beacon has fired. */
  viewed: boolean;
  /** From the request to the rendered card, in milliseconds. */
  latencyMs?: number;
}

export type ErrorReason = "invalid_request" | "timeout" | "network" | "http" | "invalid_bid" | "exception";

export type AdSpinEvent =
  | { type: "request"; chatId: string; turn: number }
  | { type: "render"; ad: Ad }
  | { type: "nobid"; reason: "no_bid" | "ad_offset"; message: string }
  | { type: "error"; reason: ErrorReason; message: string; status?: number }
  | { type: "view"; ad: Ad }
  | { type: "click"; ad: Ad }
  | { type: "vote"; ad: Ad; option: string; index: number; results: PollResults | null };

export type EventName = AdSpinEvent["type"];

export interface AdRequest {
  /** The conversation so far, ending with the assistant's reply. */
  messages: ChatMessage[];
  /** Where the card goes (its children are replaced); nothing is added on no-bid. */
  container: Element | string;
  /** Defaults to the number of user messages. */
  turnNumber?: number;
}

export interface Client {
  /** Resolves to the rendered ad, or null on no-bid, error or timeout; never rejects. */
  requestAd(request: AdRequest): Promise<Ad | null>;
  on<N extends EventName>(name: N, listener: (event: Extract<AdSpinEvent, { type: N }>) => void): () => void;
  /** Starts a new conversation (a new chatId); returns it. */
  newChat(): string;
  /** Stops view tracking of the ads this client rendered. */
  destroy(): void;
}

export interface AdSpinStatic {
  readonly version: string;
  readonly defaults: Required<Pick<InitOptions, "endpoint" | "stylesheet" | "timeoutMs" | "production" | "theme" | "styles">>;
  /** Throws a TypeError naming the option when an option is invalid. */
  init(options: InitOptions): Client;
  /** The anonymous user id (localStorage `thrad_user_id`). */
  getUserId(): string;
  /** The conversation id (sessionStorage `thrad_chat_id`). */
  getChatId(): string;
}

export declare const AdSpin: AdSpinStatic;
export default AdSpin;

declare global {
  interface Window {
    AdSpin: AdSpinStatic;
  }
  interface HTMLElementEventMap {
    "adspin:request": CustomEvent<Extract<AdSpinEvent, { type: "request" }>>;
    "adspin:render": CustomEvent<Extract<AdSpinEvent, { type: "render" }>>;
    "adspin:nobid": CustomEvent<Extract<AdSpinEvent, { type: "nobid" }>>;
    "adspin:error": CustomEvent<Extract<AdSpinEvent, { type: "error" }>>;
    "adspin:view": CustomEvent<Extract<AdSpinEvent, { type: "view" }>>;
    "adspin:click": CustomEvent<Extract<AdSpinEvent, { type: "click" }>>;
    "adspin:vote": CustomEvent<Extract<AdSpinEvent, { type: "vote" }>>;
  }
}
