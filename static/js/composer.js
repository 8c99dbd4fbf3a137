// The composer: which versions are open, each version's counter (as its platform counts,
// through text_count.js) and a preview of each version close to what its network shows.
(function () {
  "use strict";

  var form = document.getElementById("composer");
  if (!form) return;

  // The page's words in its language (core/js_words.py renders them as #words-composer);
  // the English text when the page sends none. "{name}" in a text is filled from `values`.
  var lang = document.documentElement.lang || "en";
  var WORDS = {};
  try {
    WORDS = JSON.parse(document.getElementById("words-composer").textContent);
  } catch (e) {
    WORDS = {};
  }
  var plurals = new Intl.PluralRules(lang);
  var numbers = new Intl.NumberFormat(lang);
  function fill(said, values) {
    Object.keys(values || {}).forEach(function (key) {
      said = said.split("{" + key + "}").join(values[key]);
    });
    return said;
  }
  function t(text, values) {
    return fill(typeof WORDS[text] === "string" ? WORDS[text] : text, values);
  }
  // A text with a count: `one` is also the key of its forms ({"one": …, "few": …, "other": …}).
  function tn(one, many, count, values) {
    var forms = WORDS[one];
    var said = count === 1 ? one : many;
    if (forms && typeof forms === "object") {
      said = forms[String(count)] || forms[plurals.select(count)] || forms.other || said;
    }
    return fill(said, Object.assign({ count: numbers.format(count) }, values));
  }
  var channels = JSON.parse(document.getElementById("composer-channels").textContent);
  var byId = {};
  channels.forEach(function (channel) {
    byId[channel.id] = channel;
  });
  var library = {};
  JSON.parse(document.getElementById("composer-library").textContent).forEach(function (item) {
    library[item.id] = item;
  });
  var text = document.getElementById("compose-text");
  var link = document.getElementById("compose-link");
  var counts = document.getElementById("compose-counts");
  var noPreview = document.getElementById("no-preview");

  // How each network shows a post in its feed, and where PageOne puts the link
  // (planner/publishing/adapters): appended to the text, or sent beside it as a link card.
  //   cut: characters (or lines) after which the feed folds the text behind "more", which is
  //   written as the network writes it in the user's language (planner/js_words.py).
  var NETWORKS = {
    facebook: { linkInText: false, card: true, cutChars: 477, cutLines: 5, more: t("See more") },
    linkedin: { linkInText: false, card: true, cutChars: 210, cutLines: 3, more: t("see more") },
    instagram: {
      linkInText: true, card: false, cutChars: 125, cutLines: 2, more: t("more"),
      note: t("Links in Instagram captions cannot be clicked."),
    },
    x: { linkInText: true, card: true },
    mastodon: { linkInText: true, card: true },
    bluesky: {
      linkInText: true, card: false,
      note: t("The link is clickable in the text; Bluesky shows no card for it."),
    },
    wordpress: { linkInText: false, card: false, wordpress: true },
    webhook: { linkInText: false, card: false, note: t("Sent as JSON to the webhook address.") },
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

  // Media go out in the order they were ticked (the page numbers them); without this script,
  // in the library's order.
  var ticks = 0;
  form.querySelectorAll("[data-medium]").forEach(function (box) {
    if (box.checked) box.dataset.order = String(++ticks);
    box.addEventListener("change", function () {
      box.dataset.order = box.checked ? String(++ticks) : "";
    });
  });

  function checkedBoxes(container) {
    if (!container) return [];
    return Array.prototype.filter
      .call(container.querySelectorAll("[data-medium]"), function (box) {
        return box.checked;
      })
      .sort(function (a, b) {
        return Number(a.dataset.order || 0) - Number(b.dataset.order || 0);
      });
  }

  function checkedMedia(container) {
    return checkedBoxes(container)
      .map(function (box) {
        return library[box.value];
      })
      .filter(Boolean);
  }

  function numberPicks() {
    form.querySelectorAll(".composer-media").forEach(function (picker) {
      picker.querySelectorAll(".pick-number").forEach(function (badge) {
        badge.remove();
      });
      checkedBoxes(picker).forEach(function (box, index) {
        var badge = document.createElement("span");
        badge.className = "pick-number";
        badge.textContent = String(index + 1);
        box.parentNode.appendChild(badge);
      });
    });
  }

  form.addEventListener("submit", function () {
    // Send each picker's media in the ticked order.
    form.querySelectorAll(".composer-media").forEach(function (picker) {
      checkedBoxes(picker).forEach(function (box) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = box.name;
        hidden.value = box.value;
        form.appendChild(hidden);
        box.name = "";
      });
    });
  });

  var groupMedia = form.querySelector(".composer-media-set");

  // The version's text, link and media: its own when adjusted, else the shared ones.
  function versionOf(id) {
    if (customised(id)) {
      return {
        text: form.querySelector('[data-own-text="' + id + '"]').value,
        link: form.querySelector('[data-own-link="' + id + '"]').value.trim(),
        media: checkedMedia(form.querySelector('[data-own-media="' + id + '"]')),
      };
    }
    return { text: text.value, link: link.value.trim(), media: checkedMedia(groupMedia) };
  }

  // Ticking "Adjust" starts the channel's version from the shared one.
  form.querySelectorAll("[data-custom]").forEach(function (box) {
    box.addEventListener("change", function () {
      if (!box.checked) return;
      var id = box.dataset.custom;
      var ownText = form.querySelector('[data-own-text="' + id + '"]');
      var ownLink = form.querySelector('[data-own-link="' + id + '"]');
      if (!ownText.value) ownText.value = text.value;
      if (!ownLink.value) ownLink.value = link.value;
      var ownMedia = form.querySelector('[data-own-media="' + id + '"]');
      if (ownMedia && !checkedMedia(ownMedia).length) {
        var shared = checkedMedia(groupMedia).map(function (item) {
          return String(item.id);
        });
        ownMedia.querySelectorAll("[data-medium]").forEach(function (medium) {
          var at = shared.indexOf(medium.value);
          medium.checked = at >= 0;
          medium.dataset.order = at >= 0 ? String(++ticks + at) : "";
        });
        ticks += shared.length;
      }
    });
  });

  // Up to four images in a grid, as the networks show them ("+N" for the rest); each says
  // whether it has alt text.
  function renderMedia(element, media, platform) {
    element.textContent = "";
    element.hidden = media.length === 0;
    if (!media.length) return;
    var shown = platform === "instagram" ? media.slice(0, 1) : media.slice(0, 4);
    element.className = "preview-media grid-" + shown.length;
    shown.forEach(function (item, index) {
      var cell = document.createElement("div");
      cell.className = "preview-medium";
      if (item.thumb) {
        var img = document.createElement("img");
        img.src = item.thumb;
        img.alt = item.alt || "";
        cell.appendChild(img);
      } else {
        cell.textContent = item.kind;
      }
      if (item.kind === "image") {
        var badge = document.createElement("span");
        badge.className = item.alt ? "alt-badge" : "alt-badge missing";
        badge.textContent = item.alt ? "ALT" : t("no alt text");
        badge.title = item.alt || t("Describe this image before scheduling");
        cell.appendChild(badge);
      }
      if (index === shown.length - 1 && media.length > shown.length) {
        var more = document.createElement("span");
        more.className = "more-media";
        more.textContent = platform === "instagram" ? "1 / " + media.length : "+" + (media.length - shown.length);
        cell.appendChild(more);
      }
      element.appendChild(cell);
    });
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
    var counted =
      limit === null
        ? tn("{count} character", "{count} characters", count)
        : numbers.format(count) + " / " + numbers.format(limit);
    if (over) {
      counted +=
        " — " + tn("{count} character too many", "{count} characters too many", count - limit);
    }
    li.textContent = channel.name + ": " + counted;
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
      title.textContent = body.split("\n")[0].slice(0, 120) || t("(untitled)");
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
        cards[url] = { url: url, domain: "", problem: t("the page could not be reached") };
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
      element.textContent = t("Reading the link\u2026");
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
      problem.textContent = t("No card: {problem}.", { problem: card.problem });
      body.appendChild(problem);
    }
    element.appendChild(body);
  }

  // --- thread parts (X, Bluesky, Mastodon) and first comments (Facebook, Instagram, LinkedIn)

  function partsOf(id) {
    return Array.prototype.map.call(
      form.querySelectorAll('[data-part-text="' + id + '"]'),
      function (area) {
        return area.value;
      }
    );
  }

  function numberParts(thread) {
    var parts = thread.querySelectorAll("[data-part]");
    parts.forEach(function (part, index) {
      var label = part.querySelector("label span");
      label.textContent = t("Post {number} of the thread", { number: numbers.format(index + 2) });
    });
    var add = thread.querySelector("[data-add-part]");
    add.disabled = parts.length >= Number(thread.dataset.maxParts || 25);
  }

  form.querySelectorAll("[data-add-part]").forEach(function (button) {
    button.addEventListener("click", function () {
      var id = button.dataset.addPart;
      var thread = form.querySelector('[data-thread="' + id + '"]');
      var template = form.querySelector('[data-part-template="' + id + '"]');
      var part = template.content.firstElementChild.cloneNode(true);
      thread.insertBefore(part, button);
      numberParts(thread);
      part.querySelector("textarea").focus();
      render();
    });
  });

  form.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-remove-part]");
    if (!remove) return;
    var thread = remove.closest("[data-thread]");
    remove.closest("[data-part]").remove();
    numberParts(thread);
    render();
  });

  function countLine(element, count, limit) {
    var over = limit !== null && limit !== undefined && count > limit;
    element.className = "part-count" + (over ? " over" : "");
    element.textContent =
      (limit === null || limit === undefined
        ? tn("{count} character", "{count} characters", count)
        : numbers.format(count) + " / " + numbers.format(limit)) +
      (over ? " — " + tn("{count} character too many", "{count} characters too many", count - limit) : "");
  }

  function renderFollowing(preview, channel) {
    var threadBox = preview.querySelector("[data-preview-thread]");
    var commentBox = preview.querySelector("[data-preview-comment]");
    threadBox.textContent = "";
    commentBox.textContent = "";
    var avatar = preview.querySelector(".avatar");
    var limit = window.PageOneText.limit(channel.platform);
    var parts = channel.follows === "thread" ? partsOf(channel.id) : [];
    form.querySelectorAll('[data-part-text="' + channel.id + '"]').forEach(function (area) {
      var counter = area.closest("[data-part]").querySelector("[data-part-count]");
      countLine(counter, window.PageOneText.count(channel.platform, area.value), limit);
    });
    parts = parts.filter(function (part) {
      return part.trim();
    });
    threadBox.hidden = parts.length === 0;
    parts.forEach(function (part) {
      var item = document.createElement("div");
      item.className = "preview-part";
      if (avatar) item.appendChild(avatar.cloneNode(true));
      var body = document.createElement("div");
      body.className = "preview-part-text";
      body.textContent = part;
      item.appendChild(body);
      threadBox.appendChild(item);
    });
    var comment = form.querySelector('[data-comment-text="' + channel.id + '"]');
    var value = comment ? comment.value.trim() : "";
    if (comment) {
      countLine(
        form.querySelector('[data-comment-count="' + channel.id + '"]'),
        Array.from(comment.value.trim()).length,
        channel.commentLimit
      );
    }
    commentBox.hidden = !value;
    if (value) {
      var label = document.createElement("small");
      label.className = "muted";
      label.textContent = t("First comment");
      commentBox.appendChild(label);
      var bubble = document.createElement("div");
      bubble.className = "preview-comment-text";
      bubble.textContent = value;
      commentBox.appendChild(bubble);
    }
  }

  form.querySelectorAll("[data-thread]").forEach(numberParts);

  function render() {
    numberPicks();
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
      renderMedia(preview.querySelector("[data-preview-media]"), version.media, channel.platform);
      var cardElement = preview.querySelector("[data-preview-card]");
      if (network.card && version.link && !version.media.length) {
        fetchCard(version.link);
        renderCard(cardElement, version.link);
      } else {
        cardElement.hidden = true;
      }
      var note = preview.querySelector("[data-preview-note]");
      note.hidden = !network.note;
      note.textContent = network.note || "";
      renderFollowing(preview, channel);
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
