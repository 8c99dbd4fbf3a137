// The composer: which versions are open, each version's counter (as its platform counts,
// through text_count.js) and a preview of each version close to what its network shows.
(function () {
  "use strict";

  var form = document.getElementById("composer");
  if (!form) return;
  var channels = JSON.parse(document.getElementById("composer-channels").textContent);
  var byId = {};
  channels.forEach(function (channel) {
    byId[channel.id] = channel;
  });
  var text = document.getElementById("compose-text");
  var link = document.getElementById("compose-link");
  var counts = document.getElementById("compose-counts");
  var noPreview = document.getElementById("no-preview");

  // How each network shows a post in its feed, and where PageOne puts the link
  // (planner/publishing/adapters): appended to the text, or sent beside it as a link card.
  //   cut: characters (or lines) after which the feed folds the text behind "more".
  var NETWORKS = {
    facebook: { linkInText: false, card: true, cutChars: 477, cutLines: 5, more: "See more" },
    linkedin: { linkInText: false, card: true, cutChars: 210, cutLines: 3, more: "see more" },
    instagram: {
      linkInText: true, card: false, cutChars: 125, cutLines: 2, more: "more",
      note: "Links in Instagram captions cannot be clicked.",
    },
    x: { linkInText: true, card: true },
    mastodon: { linkInText: true, card: true },
    bluesky: {
      linkInText: true, card: false,
      note: "The link is clickable in the text; Bluesky shows no card for it.",
    },
    wordpress: { linkInText: false, card: false, wordpress: true },
    webhook: { linkInText: false, card: false, note: "Sent as JSON to the webhook address." },
  };

  function picked() {
    return Array.prototype.filter
      .call(form.querySelectorAll("[data-channel-pick]"), function (box) {
        return box.checked;
      })
      .map(function (box) {
        return Number(box.value);
      });
  }

  function customised(id) {
    var box = form.querySelector('[data-custom="' + id + '"]');
    return box && box.checked;
  }

  // The version's text and link: its own when adjusted, else the shared ones.
  function versionOf(id) {
    if (customised(id)) {
      return {
        text: form.querySelector('[data-own-text="' + id + '"]').value,
        link: form.querySelector('[data-own-link="' + id + '"]').value.trim(),
      };
    }
    return { text: text.value, link: link.value.trim() };
  }

  function joinLink(body, url) {
    if (!url) return body;
    return body.trim() ? body + " " + url : url;
  }

  function counterLine(channel, version) {
    var published = joinLink(version.text, version.link);
    var count = window.PageOneText.count(channel.platform, published);
    var limit = window.PageOneText.limit(channel.platform);
    var li = document.createElement("li");
    li.dataset.count = channel.id;
    var over = limit !== null && count > limit;
    li.className = over ? "over" : "";
    li.textContent =
      channel.name + ": " + (limit === null ? count + " characters" : count + " / " + limit) +
      (over ? " — " + (count - limit) + " too many" : "");
    return li;
  }

  function folded(body, network) {
    // Where the feed cuts the text, and whether it does.
    if (!network.cutChars) return { shown: body, cut: false };
    var lines = body.split("\n");
    var shown = body;
    var cut = false;
    if (network.cutLines && lines.length > network.cutLines) {
      shown = lines.slice(0, network.cutLines).join("\n");
      cut = true;
    }
    var chars = Array.from(shown);
    if (chars.length > network.cutChars) {
      shown = chars.slice(0, network.cutChars).join("").replace(/\s+\S*$/, "");
      cut = true;
    }
    return { shown: shown, cut: cut };
  }

  function renderText(element, body, network) {
    element.textContent = "";
    if (network.wordpress) {
      var title = document.createElement("h3");
      title.textContent = body.split("\n")[0].slice(0, 120) || "(untitled)";
      element.appendChild(title);
      var words = body.split(/\s+/).filter(Boolean);
      var excerpt = words.slice(0, 55).join(" ") + (words.length > 55 ? " [\u2026]" : "");
      element.appendChild(document.createTextNode(excerpt));
      return;
    }
    var result = folded(body, network);
    element.appendChild(document.createTextNode(result.shown));
    if (result.cut) {
      var more = document.createElement("span");
      more.className = "preview-more";
      more.textContent = "\u2026 " + network.more;
      element.appendChild(more);
    }
  }

  var cards = {};
  var pending = {};
  var timer = null;

  function fetchCard(url) {
    if (!url || cards[url] || pending[url]) return;
    pending[url] = true;
    fetch(form.dataset.previewUrl + "?url=" + encodeURIComponent(url), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        cards[url] = data.card || { url: url, domain: "", problem: data.error };
      })
      .catch(function () {
        cards[url] = { url: url, domain: "", problem: "the page could not be reached" };
      })
      .then(function () {
        delete pending[url];
        render();
      });
  }

  function renderCard(element, url) {
    element.textContent = "";
    var card = cards[url];
    if (!card) {
      element.hidden = false;
      element.className = "preview-card loading";
      element.textContent = "Reading the link\u2026";
      return;
    }
    element.hidden = false;
    element.className = "preview-card";
    if (card.image) {
      var img = document.createElement("img");
      img.src = card.image;
      img.alt = "";
      img.loading = "lazy";
      img.referrerPolicy = "no-referrer";
      element.appendChild(img);
    }
    var body = document.createElement("div");
    var domain = document.createElement("small");
    domain.textContent = (card.site_name || card.domain || "").toUpperCase();
    body.appendChild(domain);
    var title = document.createElement("strong");
    title.textContent = card.title || url;
    body.appendChild(title);
    if (card.description) {
      var description = document.createElement("p");
      description.textContent = card.description;
      body.appendChild(description);
    }
    if (card.problem) {
      var problem = document.createElement("p");
      problem.className = "muted";
      problem.textContent = "No card: " + card.problem + ".";
      body.appendChild(problem);
    }
    element.appendChild(body);
  }

  function render() {
    var ids = picked();
    counts.textContent = "";
    noPreview.hidden = ids.length > 0;
    form.querySelectorAll("[data-version]").forEach(function (section) {
      section.hidden = ids.indexOf(Number(section.dataset.version)) < 0;
    });
    form.querySelectorAll("[data-own]").forEach(function (own) {
      own.hidden = !customised(own.dataset.own);
    });
    form.querySelectorAll("[data-preview]").forEach(function (preview) {
      var id = Number(preview.dataset.preview);
      var channel = byId[id];
      preview.hidden = ids.indexOf(id) < 0;
      if (preview.hidden) return;
      var network = NETWORKS[channel.platform] || { linkInText: true, card: false };
      var version = versionOf(id);
      counts.appendChild(counterLine(channel, version));
      var body = network.linkInText ? joinLink(version.text, version.link) : version.text;
      renderText(preview.querySelector("[data-preview-text]"), body, network);
      var cardElement = preview.querySelector("[data-preview-card]");
      if (network.card && version.link) {
        fetchCard(version.link);
        renderCard(cardElement, version.link);
      } else {
        cardElement.hidden = true;
      }
      var note = preview.querySelector("[data-preview-note]");
      note.hidden = !network.note;
      note.textContent = network.note || "";
    });
  }

  form.addEventListener("input", function () {
    // Typing a link fetches its card once the person pauses.
    clearTimeout(timer);
    timer = setTimeout(render, 250);
  });
  form.addEventListener("change", render);
  render();
})();
