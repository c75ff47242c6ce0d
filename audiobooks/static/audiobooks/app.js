// The reference client: JWT sign-in, an upload streamed with fetch() (EventSource cannot
// POST), re-attaching to a book with Last-Event-ID after a reload or when the stream drops,
// and the read API.
"use strict";

const $ = (id) => document.getElementById(id);
const store = {
  get: (key) => JSON.parse(localStorage.getItem(key) || "null"),
  set: (key, value) => (value == null ? localStorage.removeItem(key) : localStorage.setItem(key, JSON.stringify(value))),
};
let refreshTimer = null;

// --- Auth: tokens kept in localStorage, the access token refreshed before it expires ----

function postJson(path, body) {
  return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

function tokenExpiry(token) {
  const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  return payload.exp * 1000;
}

function useTokens(tokens) {
  store.set("tokens", tokens);
  clearTimeout(refreshTimer);
  if (!tokens) return;
  const wait = Math.max(tokenExpiry(tokens.access) - Date.now() - 60_000, 1_000);
  refreshTimer = setTimeout(refreshAccess, wait);
}

async function refreshAccess() {
  const tokens = store.get("tokens");
  if (!tokens) return false;
  const response = await postJson("/api/auth/token/refresh/", { refresh: tokens.refresh });
  if (!response.ok) {
    signOut();
    return false;
  }
  const body = await response.json();
  useTokens({ ...tokens, access: body.access, refresh: body.refresh || tokens.refresh });
  return true;
}

async function api(path, options = {}, retried = false) {
  const tokens = store.get("tokens");
  const headers = { ...(options.headers || {}), Authorization: `Bearer ${tokens && tokens.access}` };
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401 && !retried && (await refreshAccess())) return api(path, options, true);
  return response;
}

async function errorText(response) {
  const type = response.headers.get("Content-Type") || "";
  try {
    if (type.startsWith("text/event-stream")) {
      const event = parseEvents(await response.text())[0];
      return `${event.data.error}: ${event.data.details}`;
    }
    const body = await response.json();
    return body.details ? `${body.error}: ${body.details}` : body.error || JSON.stringify(body);
  } catch {
    return `The server answered ${response.status}.`;
  }
}

async function signIn(username, password) {
  const response = await postJson("/api/auth/token/", { username, password });
  if (!response.ok) throw new Error(await errorText(response));
  useTokens({ ...(await response.json()), username });
}

async function register(username, password) {
  const response = await postJson("/api/auth/register/", { username, password });
  if (!response.ok) throw new Error(await errorText(response));
}

function signOut() {
  useTokens(null);
  store.set("reading", null);
  show();
}

// --- Server-Sent Events over fetch() -----------------------------------------------------

function parseEvents(text) {
  return text
    .split("\n\n")
    .map((block) => {
      const event = { id: null, event: "message", data: null };
      for (const line of block.split("\n")) {
        if (line.startsWith("id: ")) event.id = Number(line.slice(4));
        else if (line.startsWith("event: ")) event.event = line.slice(7);
        else if (line.startsWith("data: ")) event.data = JSON.parse(line.slice(6));
      }
      return event;
    })
    .filter((event) => event.data !== null);
}

async function follow(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const end = buffer.lastIndexOf("\n\n");
    if (end === -1) continue;
    parseEvents(buffer.slice(0, end)).forEach(onEvent);
    buffer = buffer.slice(end + 2);
  }
}

// --- Reading a book live -----------------------------------------------------------------

async function addPageRow(bookId, pageNumber, method, chars) {
  if (document.querySelector(`#pages tr[data-page="${pageNumber}"]`)) return;
  const row = document.createElement("tr");
  row.dataset.page = pageNumber;
  for (const text of [pageNumber, method === "ocr" ? "OCR" : "text", chars, "…"]) {
    const cell = document.createElement("td");
    cell.textContent = text;
    row.append(cell);
  }
  const rows = [...$("pages").children];
  const after = rows.find((other) => Number(other.dataset.page) > pageNumber);
  $("pages").insertBefore(row, after || null);
  const response = await api(`/api/books/${bookId}/pages/${pageNumber}/`);
  if (response.ok) {
    const page = await response.json();
    row.lastChild.textContent = page.error || page.text_content.split("\n").find((line) => line.trim()) || "(no text)";
  }
}

// Returns true for the book's last event (completed or error): its stream is over.
function onBookEvent(bookId, event) {
  if (event.id !== null) store.set("reading", { bookId, lastEventId: event.id });
  const data = event.data;
  if (event.event === "status") $("status").textContent = data.message;
  if (event.event === "processing_started") $("status").textContent = data.message;
  if (event.event === "page_progress") {
    $("progress").value = data.progress;
    $("progress").setAttribute("aria-valuetext", `${data.progress}%`);
    $("status").textContent = `${data.message} — ${data.progress}%`;
    if (data.page_number) addPageRow(bookId, data.page_number, data.method, data.extracted_chars);
  }
  if (event.event === "completed") {
    $("progress").value = 100;
    $("status").textContent = `Done: ${data.total_pages} pages read (${data.pages_ocr} by OCR, ${data.pages_text} from the text layer) in ${data.duration_s} s.`;
  }
  if (event.event === "error") $("status").textContent = `Stopped: ${data.error}. ${data.details}`;
  const last = event.event === "completed" || event.event === "error";
  if (last) {
    store.set("reading", null);
    $("reattached").hidden = true;
    loadBooks();
  }
  return last;
}

// Until the wait is over, or sooner when the browser says it is back online.
function backOff(milliseconds) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      window.removeEventListener("online", done);
      resolve();
    };
    const timer = setTimeout(done, milliseconds);
    window.addEventListener("online", done);
  });
}

// Follow a book's stream to its last event. When the stream drops before it (the server
// restarted, the network went away), re-attach with Last-Event-ID, waiting 1, 2, 4… up to
// 10 s between tries and trying at once when the browser comes back online. Pages already
// listed are not listed twice, and the replay brings every event missed meanwhile.
async function followToTheEnd(bookId, response) {
  let wait = 1_000;
  for (;;) {
    if (response && response.ok) {
      let over = false;
      try {
        await follow(response, (event) => (over = onBookEvent(bookId, event) || over));
      } catch {
        // the connection broke mid-read: re-attach below
      }
      if (over) return;
      wait = 1_000;
      // A stream that ended without the book's last event: is the book still being read?
      const book = await api(`/api/books/${bookId}/`).catch(() => null);
      if (book && book.ok && (await book.json()).status !== "processing") {
        store.set("reading", null);
        return loadBooks();
      }
    } else if (response && [403, 404].includes(response.status)) {
      return store.set("reading", null); // the book is gone, or not this reader's
    }
    const reading = store.get("reading");
    if (!reading || reading.bookId !== bookId) return;
    $("status").textContent = "Connection lost — reconnecting…";
    await backOff(wait);
    wait = Math.min(wait * 2, 10_000);
    try {
      response = await api(`/api/books/${bookId}/events/`, {
        headers: { Accept: "text/event-stream", "Last-Event-ID": String(reading.lastEventId) },
      });
      if (response.ok) $("status").textContent = "Reconnected — following the book again.";
    } catch {
      response = null; // the server does not answer yet
    }
  }
}

function startReading(book) {
  $("reading").hidden = false;
  $("reading-name").textContent = `“${book.title}”`;
  $("progress").value = book.progress || 0;
  $("pages").replaceChildren();
  $("reattached").hidden = true;
}

async function upload(form) {
  $("upload-error").textContent = "";
  $("upload-button").disabled = true;
  try {
    const response = await api("/api/books/upload-sse/", {
      method: "POST",
      headers: { Accept: "text/event-stream" },
      body: new FormData(form),
    });
    if (!response.ok) {
      $("upload-error").textContent = await errorText(response);
      $("file").focus();
      return;
    }
    startReading({ title: form.title.value || form.file.files[0].name });
    let bookId = null;
    let over = false;
    try {
      await follow(response, (event) => {
        bookId = bookId || (event.data && event.data.book_id);
        if (bookId) over = onBookEvent(bookId, event) || over;
        else $("status").textContent = event.data.message || "";
      });
    } catch {
      // dropped mid-read: re-attached below, once the book's id is known
    }
    if (bookId && !over) await followToTheEnd(bookId, null);
  } catch (error) {
    $("upload-error").textContent = `The upload failed: ${error.message}`;
  } finally {
    $("upload-button").disabled = false;
  }
}

async function reattach() {
  const reading = store.get("reading");
  if (!reading) return;
  const response = await api(`/api/books/${reading.bookId}/`);
  if (!response.ok) return store.set("reading", null);
  const book = await response.json();
  if (book.status !== "processing") return store.set("reading", null);
  startReading(book);
  // Not in the status line, which the replayed events overwrite at once.
  $("reattached").textContent = `Re-attached: ${book.pages_done} of ${book.total_pages} pages read so far.`;
  $("reattached").hidden = false;
  const pages = await api(`/api/books/${book.id}/pages/?page_size=1000`);
  if (pages.ok) {
    for (const page of (await pages.json()).results) addPageRow(book.id, page.page_number, page.method, page.char_count);
  }
  const stream = await api(`/api/books/${book.id}/events/`, {
    headers: { Accept: "text/event-stream", "Last-Event-ID": String(reading.lastEventId) },
  });
  await followToTheEnd(book.id, stream);
}

// --- My books ----------------------------------------------------------------------------

async function loadBooks() {
  const response = await api("/api/books/");
  if (!response.ok) return;
  const list = $("books");
  list.replaceChildren();
  for (const book of (await response.json()).results) {
    const item = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = `${book.title} — ${book.status}, ${book.pages_done}/${book.total_pages} pages (${book.progress}%)`;
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = "Read";
    open.setAttribute("aria-label", `Read ${book.title}`);
    open.addEventListener("click", () => openBook(book));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.textContent = "Delete";
    remove.setAttribute("aria-label", `Delete ${book.title}`);
    remove.addEventListener("click", async () => {
      if (!confirm(`Delete “${book.title}” and all its pages?`)) return;
      await api(`/api/books/${book.id}/`, { method: "DELETE" });
      loadBooks();
    });
    item.append(label, open, remove);
    list.append(item);
  }
}

async function openBook(book) {
  if (!mayLeavePage()) return;
  $("book").hidden = false;
  $("book-title").textContent = book.title;
  $("download-text").onclick = () => downloadText(book);
  await Promise.all([showNarration(book), showPages(book)]);
  $("book-title").focus();
}

// The narration: chapters of paragraphs, as a narrator reads the book.
async function showNarration(book) {
  const box = $("book-narration");
  box.replaceChildren();
  $("download-text").hidden = true;
  const response = await api(`/api/books/${book.id}/text/?format=json`);
  const body = await response.json();
  if (!response.ok) {
    $("narration-status").textContent = `${body.error}: ${body.details}`;
    return;
  }
  $("narration-status").textContent = `${body.chapters.length} chapter(s), ready to narrate.`;
  $("download-text").hidden = false;
  for (const chapter of body.chapters) {
    const section = document.createElement("section");
    section.className = "chapter";
    const heading = document.createElement("h3");
    heading.textContent = chapter.title || "(untitled)";
    const start = document.createElement("small");
    start.textContent = ` from page ${chapter.start_page}`;
    heading.append(start);
    section.append(heading);
    for (const paragraph of chapter.paragraphs) {
      const text = document.createElement("p");
      text.textContent = paragraph.text;
      section.append(text);
    }
    box.append(section);
  }
}

async function downloadText(book) {
  const response = await api(`/api/books/${book.id}/text/`);
  if (!response.ok) return;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `${book.title}.txt`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000); // after the browser has taken it
}

// --- Proofreading: each page's picture beside its text; corrections saved with If-Match -----

// A page OCR read with a mean word confidence below this is flagged for a closer look.
const LOW_CONFIDENCE = 70;
const proof = { book: null, pages: [], index: 0, version: null, imageUrl: null, asked: 0 };

function flagOf(page) {
  if (page.error) return `failed: ${page.error}`;
  if (page.method === "ocr" && page.ocr_confidence !== null && page.ocr_confidence < LOW_CONFIDENCE)
    return `low OCR confidence (${Math.round(page.ocr_confidence)}%)`;
  return "";
}

async function showPages(book) {
  proof.book = book;
  proof.pages = [];
  proof.index = 0;
  let url = `/api/books/${book.id}/pages/?page_size=100`;
  while (url) {
    const response = await api(url);
    if (!response.ok) break;
    const body = await response.json();
    proof.pages.push(...body.results);
    url = body.next && new URL(body.next).pathname + new URL(body.next).search;
  }
  $("proof-count").textContent = String(book.total_pages);
  $("page-text").lang = book.language === "english" ? "en" : "hi";
  listPages();
  if (proof.pages.length) await showProofPage(0, { confirmed: true });
}

function listPages() {
  const list = $("book-pages");
  list.replaceChildren();
  proof.pages.forEach((page, index) => {
    const item = document.createElement("li");
    item.value = page.page_number;
    const button = document.createElement("button");
    button.type = "button";
    button.className = index === proof.index ? "secondary current" : "secondary";
    const flag = flagOf(page);
    const unsure = (page.uncertain_words || []).length;
    const notes = [page.edited_at ? "corrected" : "", flag, unsure ? `${unsure} unsure word(s)` : ""].filter(Boolean);
    button.textContent = `Page ${page.page_number}${notes.length ? ` — ${notes.join("; ")}` : ""}`;
    button.addEventListener("click", () => showProofPage(index));
    item.append(button);
    list.append(item);
  });
}

// The words OCR was least sure of, each a button that finds it in the editor.
function showUnsureWords(words) {
  const list = $("unsure-words");
  list.replaceChildren();
  if (!words.length) return;
  list.append("Words OCR was unsure of (select to find): ");
  for (const word of words) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "unsure";
    button.textContent = word;
    button.addEventListener("click", () => findInEditor(word));
    list.append(button, " ");
  }
}

// Selects the next place `word` stands as a whole word in the editor after the cursor (from
// the top again past the end): "in" is not found inside "within", nor a matra's letter inside a word.
function findInEditor(word) {
  const editor = $("page-text");
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const whole = new RegExp(`(?<![\\p{L}\\p{M}\\p{N}])${escaped}(?![\\p{L}\\p{M}\\p{N}])`, "gu");
  whole.lastIndex = editor.selectionEnd;
  const found = whole.exec(editor.value) || ((whole.lastIndex = 0), whole.exec(editor.value));
  if (!found) return;
  editor.focus();
  editor.setSelectionRange(found.index, found.index + word.length);
}

// Text typed and not saved is lost on another page or book: the reader is asked first.
function hasUnsavedChanges() {
  const page = proof.pages[proof.index];
  // A textarea keeps line ends as \n whatever the text it was given.
  return Boolean(page) && !$("book").hidden && $("page-text").value !== page.text_content.replace(/\r\n?/g, "\n");
}

function mayLeavePage() {
  if (!hasUnsavedChanges()) return true;
  const number = proof.pages[proof.index].page_number;
  return window.confirm(`Page ${number} has changes that are not saved. Leave them?`);
}

// `confirmed`: the reader has already said the page's changes may go.
async function showProofPage(index, { confirmed = false } = {}) {
  if (index < 0 || index >= proof.pages.length || (!confirmed && !mayLeavePage())) return;
  // Pages turned quickly: only the last one asked for is shown, so the editor never holds
  // one page's text while saving goes to another.
  const asked = ++proof.asked;
  const page = proof.pages[index];
  const response = await api(`/api/books/${proof.book.id}/pages/${page.page_number}/`);
  const fresh = response.ok ? await response.json() : null;
  if (asked !== proof.asked) return;
  if (fresh) Object.assign(page, fresh);
  proof.index = index;
  proof.version = page.version;
  $("proof-number").textContent = String(page.page_number);
  $("page-text").value = page.text_content;
  const flag = flagOf(page);
  showUnsureWords(page.uncertain_words || []);
  $("proof-flag").textContent = flag ? `Check this page: ${flag}` : "";
  $("proof-flag").className = flag ? "flag" : "";
  $("proof-status").textContent = page.edited_at
    ? `Corrected by ${page.edited_by} (version ${page.version}).`
    : `As extracted (${page.method === "ocr" ? "OCR" : "text layer"}).`;
  $("previous-page").disabled = index === 0;
  $("next-page").disabled = index === proof.pages.length - 1;
  listPages();
  await showPageImage(page.page_number, asked);
}

// The picture needs the reader's token, so it is fetched (the browser keeps it: the server
// sends an ETag and Cache-Control) and shown from memory.
async function showPageImage(pageNumber, asked) {
  const image = $("page-image");
  image.alt = `Page ${pageNumber} as printed`;
  $("page-image-caption").textContent = "";
  const response = await api(`/api/books/${proof.book.id}/pages/${pageNumber}/image/?width=1000`);
  const picture = response.ok ? await response.blob() : null;
  if (asked !== proof.asked) return; // another page was asked for meanwhile
  if (!picture) {
    $("page-image-caption").textContent = await errorText(response);
    return;
  }
  if (proof.imageUrl) URL.revokeObjectURL(proof.imageUrl);
  proof.imageUrl = URL.createObjectURL(picture);
  image.src = proof.imageUrl;
}

// `text` null goes back to the extracted text. An edit made on a version someone else has
// changed meanwhile is refused by the server (412) and its message shown; the text typed
// stays in the editor.
async function savePage(text) {
  const page = proof.pages[proof.index];
  const response = await api(`/api/books/${proof.book.id}/pages/${page.page_number}/`, {
    method: "PATCH",
    headers: { "Content-Type": "application/json", "If-Match": `"v${proof.version}"` },
    body: JSON.stringify({ text_content: text }),
  });
  const stillShown = () => proof.pages[proof.index] === page; // the reader may have turned the page meanwhile
  if (!response.ok) {
    const why = await errorText(response);
    if (stillShown()) $("proof-status").textContent = `Not saved. ${why}`;
    return;
  }
  Object.assign(page, await response.json());
  if (stillShown()) {
    proof.version = page.version;
    $("page-text").value = page.text_content;
    $("proof-status").textContent =
      text === null ? `Back to the extracted text (version ${page.version}).` : `Saved (version ${page.version}).`;
  }
  listPages();
  await showNarration(proof.book); // the narration reads the corrected text
}

// --- Wiring ------------------------------------------------------------------------------

function show() {
  const tokens = store.get("tokens");
  $("auth").hidden = Boolean(tokens);
  for (const id of ["upload", "library"]) $(id).hidden = !tokens;
  $("who").hidden = !tokens;
  if (!tokens) for (const id of ["reading", "book"]) $(id).hidden = true;
  $("who-name").textContent = tokens ? tokens.username : "";
}

document.addEventListener("DOMContentLoaded", async () => {
  $("auth-form").addEventListener("submit", async (submit) => {
    submit.preventDefault();
    $("auth-error").textContent = "";
    const [username, password] = [$("username").value, $("password").value];
    try {
      if (submit.submitter && submit.submitter.value === "register") await register(username, password);
      await signIn(username, password);
      show();
      loadBooks();
      $("file").focus();
    } catch (error) {
      $("auth-error").textContent = error.message;
    }
  });
  $("upload-form").addEventListener("submit", (submit) => {
    submit.preventDefault();
    upload(submit.target);
  });
  $("sign-out").addEventListener("click", () => mayLeavePage() && signOut());
  $("refresh-books").addEventListener("click", loadBooks);
  $("previous-page").addEventListener("click", () => showProofPage(proof.index - 1));
  $("next-page").addEventListener("click", () => showProofPage(proof.index + 1));
  $("save-page").addEventListener("click", () => savePage($("page-text").value));
  $("revert-page").addEventListener("click", () => savePage(null));
  document.addEventListener("keydown", (key) => {
    if ($("book").hidden || !key.altKey || !["ArrowLeft", "ArrowRight"].includes(key.key)) return;
    key.preventDefault();
    showProofPage(proof.index + (key.key === "ArrowRight" ? 1 : -1));
  });
  // Closing or reloading the tab with a page's changes not saved: the browser asks first.
  window.addEventListener("beforeunload", (unload) => {
    if (hasUnsavedChanges()) unload.preventDefault();
  });
  $("close-book").addEventListener("click", () => {
    if (!mayLeavePage()) return;
    $("book").hidden = true;
    $("library-title").focus();
  });

  const tokens = store.get("tokens");
  if (tokens) useTokens(tokens);
  show();
  if (tokens) {
    loadBooks();
    reattach();
  }
});
