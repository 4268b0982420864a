import RingGateCodecs

/// The demo chat's browser side: one self-contained HTML page (no external resources) that the
/// gateway serves on plain `GET /` and that connects back to the same host over WebSocket.
///
/// The page names itself `Guest-<4 digits>` (editable), shows the online count, join/leave notices
/// and messages, and reconnects with backoff after a close. Every received string reaches the DOM
/// through `textContent`, never as HTML. Element ids (`log`, `text`, `name`, `online`) and the body's
/// `data-state` (`connecting`, `open`, `closed`) and `data-client-id` are what browser tests drive.
public enum DemoChatPage {
    /// The page as the gateway serves it (`WebSocketListenerOptions.httpPage`).
    public static let httpPage = HTTPPage(html: html)

    /// The page's HTML.
    public static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width,initial-scale=1">
        <title>RingGate chat</title>
        <style>
        body{font:15px/1.4 system-ui,sans-serif;margin:0;display:flex;flex-direction:column;height:100vh;
          background:#f6f7f9;color:#222}
        header{display:flex;gap:1em;align-items:center;padding:.5em 1em;background:#24292f;color:#fff}
        h1{font-size:1em;margin:0;flex:1}
        #status.open{color:#7ee787}
        #status.closed{color:#ff9492}
        #log{flex:1;overflow-y:auto;list-style:none;margin:0;padding:.5em 1em}
        #log li{margin:.2em 0;overflow-wrap:anywhere;white-space:pre-wrap}
        .time{color:#888;font-size:.85em;margin-right:.5em}
        .who{font-weight:600;margin-right:.4em}
        .mine .who{color:#0969da}
        .notice{color:#666;font-style:italic}
        .error{color:#b00}
        form{display:flex;gap:.5em;padding:.5em 1em;background:#fff;border-top:1px solid #ddd}
        input,button{font:inherit;padding:.35em .5em}
        #name{width:9em}
        #text{flex:1}
        </style>
        </head>
        <body data-state="connecting">
        <header><h1>RingGate chat</h1><span id="status">connecting…</span>
        <span><span id="online">0</span> online</span></header>
        <ul id="log" aria-live="polite"></ul>
        <form id="form" autocomplete="off">
        <input id="name" maxlength="32" aria-label="Your name">
        <input id="text" maxlength="1000" placeholder="Say something…" aria-label="Message" autofocus>
        <button id="send">Send</button>
        </form>
        <script>
        "use strict";
        (() => {
          const $ = (id) => document.getElementById(id);
          const log = $("log"), nameInput = $("name"), textInput = $("text"), status = $("status");
          nameInput.value = "Guest-" + Math.floor(1000 + Math.random() * 9000);
          let socket = null, myId = "", retryDelay = 500;

          function setState(state, label) {
            document.body.dataset.state = state;
            status.textContent = label;
            status.className = state;
          }
          function span(className, text) {
            const element = document.createElement("span");
            element.className = className;
            element.textContent = text;  // never innerHTML: names and texts are other people's input
            return element;
          }
          function add(kind, message, who, text) {
            const follow = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
            const item = document.createElement("li");
            item.className = kind + (message.from && message.from === myId ? " mine" : "");
            if (message.from) item.dataset.from = message.from;
            if (message.time) item.append(span("time", message.time));
            if (who) item.append(span("who", who));
            item.append(span("text", text));
            log.append(item);
            while (log.children.length > 500) log.firstElementChild.remove();
            if (follow) log.scrollTop = log.scrollHeight;
          }
          function setOnline(count) {
            if (typeof count === "number") $("online").textContent = String(count);
          }
          function receive(event) {
            let message;
            try { message = JSON.parse(event.data); } catch (error) { return; }
            switch (message.type) {
              case "welcome":
                myId = String(message.client_id);
                document.body.dataset.clientId = myId;
                nameInput.value = message.name;
                setOnline(message.online);
                add("notice", {}, "", "You are " + message.name + ".");
                break;
              case "join": setOnline(message.online); add("notice join", message, "", message.name + " joined."); break;
              case "leave": setOnline(message.online); add("notice leave", message, "", message.name + " left."); break;
              case "name":
                if (message.from === myId) nameInput.value = message.name;
                add("notice rename", message, "", message.old_name + " is now " + message.name + ".");
                break;
              case "say": add("say", message, message.name, message.text); break;
              case "error": add("error", {}, "", message.error); break;
            }
          }
          function connect() {
            const scheme = location.protocol === "https:" ? "wss://" : "ws://";
            setState("connecting", "connecting…");
            socket = new WebSocket(scheme + location.host + "/?name=" + encodeURIComponent(nameInput.value.trim()));
            socket.onopen = () => { retryDelay = 500; setState("open", "connected"); };
            socket.onmessage = receive;
            socket.onclose = () => {
              socket = null;
              myId = "";
              delete document.body.dataset.clientId;
              setState("closed", "offline, reconnecting…");
              setTimeout(connect, retryDelay);
              retryDelay = Math.min(retryDelay * 2, 10000);
            };
          }
          function send(message) {
            if (!socket || socket.readyState !== WebSocket.OPEN) return false;
            socket.send(JSON.stringify(message));
            return true;
          }
          $("form").addEventListener("submit", (event) => {
            event.preventDefault();
            const text = textInput.value.trim();
            if (text && send({type: "say", text})) textInput.value = "";
            textInput.focus();
          });
          nameInput.addEventListener("change", () => {
            const name = nameInput.value.trim();
            if (name) send({type: "name", name});
          });
          connect();
        })();
        </script>
        </body>
        </html>

        """#
}
