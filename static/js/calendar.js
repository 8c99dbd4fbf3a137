// The content calendar: posts of every channel of a brand, created, edited and moved in place.
//
// Plain browser JS on top of FullCalendar 7 (window.FullCalendar from all/global.js). No inline
// handlers and no inline styles in the markup, so the page works under a strict CSP. The server
// is the judge of every rule (gaps, daily maximum, windows, text limits): the page only shows
// its answers, and puts a dragged post back when the server refuses the move.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("calendar-config").textContent);
  // The page's words in its language (calendar.html); "{when}" and the like are filled in.
  function t(text, values) {
    var said = (config.words && config.words[text]) || text;
    Object.keys(values || {}).forEach(function (key) {
      said = said.split("{" + key + "}").join(values[key]);
    });
    return said;
  }
  var csrfToken = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var channelsById = {};
  config.channels.forEach(function (channel) {
    channelsById[channel.id] = channel;
  });

  var PLATFORM_LABELS = {
    facebook: "Facebook",
    instagram: "Instagram",
    x: "X",
    linkedin: "LinkedIn",
    mastodon: "Mastodon",
    bluesky: "Bluesky",
    wordpress: "Blog",
    webhook: "Webhook",
  };
  // Statuses whose post can still be changed; the rest are kept for the record.
  var EDITABLE = ["draft", "pending_approval", "scheduled", "missed", "held", "failed"];
  var PROBLEM = ["failed", "missed", "held", "unconfirmed"];

  // --- small helpers ----------------------------------------------------------------------

  function $(id) {
    return document.getElementById(id);
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  /** A Date as ISO 8601 in the browser's zone with its offset, e.g. 2026-05-06T11:00:00+02:00. */
  function isoWithOffset(date) {
    var offset = -date.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    var abs = Math.abs(offset);
    return (
      date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
      sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60)
    );
  }

  /** The value a datetime-local input wants for a Date (local wall-clock time). */
  function toLocalInput(date) {
    return (
      date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes())
    );
  }

  var longDate = new Intl.DateTimeFormat(config.locale || undefined, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });

  function describeTime(iso) {
    return iso ? longDate.format(new Date(iso)) : t("no date");
  }

  function setMessage(el, text, kind) {
    el.textContent = "";
    el.className = "calendar-message" + (kind ? " " + kind : "");
    if (!text) return;
    var lines = Array.isArray(text) ? text : [text];
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      el.appendChild(p);
    });
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "dismiss";
    dismiss.setAttribute("aria-label", t("Dismiss"));
    dismiss.textContent = "×";
    dismiss.addEventListener("click", function () {
      setMessage(el, null);
    });
    el.appendChild(dismiss);
  }

  var alertArea = $("calendar-alert");
  var statusArea = $("calendar-status");
  var statusTimer = null;

  function showError(lines) {
    setMessage(statusArea, null);
    setMessage(alertArea, lines, "error");
  }

  function showWarning(lines) {
    setMessage(statusArea, null);
    setMessage(alertArea, lines, "warning");
  }

  function showStatus(text) {
    setMessage(alertArea, null);
    setMessage(statusArea, text, "success");
    clearTimeout(statusTimer);
    statusTimer = setTimeout(function () {
      setMessage(statusArea, null);
    }, 8000);
  }

  // --- the JSON API -----------------------------------------------------------------------

  // `data` is the server's JSON answer; a 409 carries the post as it is now in `data.post`.
  function ApiFailure(status, errors, data) {
    this.status = status;
    this.errors = errors;
    this.data = data || {};
  }

  function api(method, url, payload) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    };
    if (method !== "GET") options.headers["X-CSRFToken"] = csrfToken;
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(url, options).then(
      function (response) {
        if (response.status === 204) return null;
        return response.json().then(
          function (data) {
            if (response.ok) return data;
            var errors = data.errors || [data.message || data.error || t("The server refused.")];
            throw new ApiFailure(response.status, errors, data);
          },
          function () {
            throw new ApiFailure(response.status, [
              response.status === 401
                ? t("Your session has ended: reload the page and log in again.")
                : t("The server answered {status}.", { status: response.status + " " + response.statusText }),
            ]);
          }
        );
      },
      function () {
        throw new ApiFailure(0, [t("Could not reach the server; check the connection and try again.")]);
      }
    );
  }

  function errorsOf(failure) {
    if (failure instanceof ApiFailure) return failure.errors;
    return [String(failure && failure.message ? failure.message : failure)];
  }

  // --- channel filter and legend ----------------------------------------------------------

  var filter = $("channel-filter");

  document.querySelectorAll(".swatch[data-colour]").forEach(function (swatch) {
    swatch.style.setProperty("--swatch", swatch.getAttribute("data-colour"));
  });

  function selectedChannelIds() {
    return Array.prototype.map.call(
      filter.querySelectorAll('input[name="channel"]:checked'),
      function (box) {
        return box.value;
      }
    );
  }

  // --- the calendar -----------------------------------------------------------------------

  function wantsWindows(viewType) {
    return viewType.indexOf("timeGrid") === 0;
  }

  // A phone opens on the week as a list: a month grid or seven time columns do not fit it.
  var NARROW = window.matchMedia("(max-width: 640px)").matches;
  var INITIAL_VIEW = NARROW ? "listWeek" : "dayGridMonth";
  var lastFetchHadWindows = null;
  var calendar = null;

  function fetchEvents(info) {
    var channelIds = selectedChannelIds();
    // The first fetch runs inside the constructor, before `calendar` is assigned.
    var windows = wantsWindows(calendar ? calendar.view.type : INITIAL_VIEW);
    lastFetchHadWindows = windows;
    // No channel ticked means nothing to show (the API would read "no filter" as all).
    if (!channelIds.length) return Promise.resolve([]);
    var params = new URLSearchParams({ start: info.startStr, end: info.endStr });
    channelIds.forEach(function (id) {
      params.append("channel_id", id);
    });
    if (windows) params.set("windows", "1");
    params.set("format", "compact");
    return api("GET", config.eventsUrl + "?" + params.toString()).then(expandFeed);
  }

  var TITLE_LENGTH = 80;

  function shortTitle(text) {
    var head = text.replace(/\s+/g, " ").trim();
    return head.length <= TITLE_LENGTH ? head : head.slice(0, TITLE_LENGTH - 1) + "\u2026";
  }

  // The compact feed sends one row per post; the page knows the channels and builds the events.
  function expandFeed(feed) {
    var at = {};
    feed.fields.forEach(function (name, index) {
      at[name] = index;
    });
    var movable = {};
    feed.movable.forEach(function (status) {
      movable[status] = true;
    });
    var campaigns = {};
    var events = [];
    feed.posts.forEach(function (row) {
      if (at.group !== undefined && row[at.group] !== null) {
        // A campaign's versions show as one item per day, which opens the campaign.
        var start = new Date(row[at.start]);
        var key = row[at.group] + "@" + start.toDateString();
        var campaign = campaigns[key];
        if (!campaign) {
          campaign = campaigns[key] = {
            id: "group-" + key,
            title: shortTitle(row[at.text]),
            start: row[at.start],
            color: "#4b5563",
            editable: false,
            extendedProps: { group: row[at.group], channelNames: [], count: 0 },
          };
          events.push(campaign);
        } else if (start < new Date(campaign.start)) {
          campaign.start = row[at.start];
        }
        var channel = channelsById[row[at.channelId]] || {};
        campaign.extendedProps.channelNames.push(channel.name);
        campaign.extendedProps.count += 1;
        return;
      }
      events.push(postEvent(row));
    });
    Object.keys(campaigns).forEach(function (key) {
      var campaign = campaigns[key];
      var count = campaign.extendedProps.count;
      // The number is how many of the campaign's versions go out that day.
      campaign.title = "\u25A6 " + campaign.title + " \u00B7 " + count;
    });
    return events.concat(nameWindows(feed.windows));

    function postEvent(row) {
      var channel = channelsById[row[at.channelId]] || {};
      var status = row[at.status];
      var event = {
        id: String(row[at.id]),
        title: shortTitle(row[at.text]),
        start: row[at.start],
        color: channel.colour,
        extendedProps: {
          channelId: row[at.channelId],
          channelName: channel.name,
          platform: channel.platform,
          status: status,
          source: row[at.source],
          publicUrl: row[at.publicUrl] || undefined,
          // Sent back with a move, so a move made on an outdated calendar is refused.
          version: row[at.version],
          mediaCount: row[at.media] || undefined,
        },
      };
      if (!movable[status]) event.editable = false;
      return event;
    }
  }

  // Each window is named in its shading, so it reads as one without the legend. Windows of
  // several channels that open at the same time share one name, as their labels would overlap.
  function nameWindows(windows) {
    var byStart = {};
    windows.forEach(function (shade) {
      var key = new Date(shade.start).getTime();
      (byStart[key] = byStart[key] || []).push(shade);
    });
    Object.keys(byStart).forEach(function (key) {
      var group = byStart[key];
      var channels = group.map(function (shade) {
        return channelsById[shade.extendedProps.channelId] || {};
      });
      group.forEach(function (shade) {
        shade.title = "";
      });
      group[0].title = channels.length === 1
        ? t("{channel} window", { channel: channels[0].name || t("Engagement") })
        : t("{channels} windows", { channels: channels.map(function (channel) {
          return PLATFORM_LABELS[channel.platform] || channel.name;
        }).join(", ") });
    });
    return windows;
  }

  // --- engagement windows under a dropped post ---------------------------------------------

  var weekdayName = new Intl.DateTimeFormat(config.locale || undefined, { weekday: "short" });

  function clockTime(date) {
    return pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  /** The shaded window of `channelId` that holds `when`, as the week and day views show it. */
  function windowAt(channelId, when) {
    if (!when) return null;
    var at = when.getTime();
    var found = null;
    calendar.getEvents().forEach(function (event) {
      var props = event.extendedProps;
      if (found || !props.window || props.channelId !== channelId) return;
      if (event.start.getTime() <= at && at < event.end.getTime()) found = event;
    });
    return found;
  }

  /** "Wed 11:00–12:00", in the viewer's zone like the grid. */
  function describeWindow(event) {
    return weekdayName.format(event.start) + " " + clockTime(event.start) + "\u2013" +
      clockTime(event.end);
  }

  // A drop out of a window is warned about by the server; a drop into one deserves a word too.
  function windowNote(channelId, from, to) {
    var target = windowAt(channelId, to);
    if (!target) return null;
    var source = windowAt(channelId, from);
    if (source && source.start.getTime() === target.start.getTime()) {
      return t("It stays inside the {window} engagement window.", { window: describeWindow(target) });
    }
    return t("Moved into the {window} engagement window.", { window: describeWindow(target) });
  }

  function statusClass(status) {
    if (status === "published" || status === "publishing") return "post-state-published";
    if (status === "draft" || status === "pending_approval") return "post-state-draft";
    if (PROBLEM.indexOf(status) !== -1) return "post-state-problem";
    return "post-state-scheduled";
  }

  function shapeEvent(input) {
    var props = input.extendedProps || {};
    if (props.window) {
      // The channel's class lets a window be found under a dropped post (and by tests).
      input.className = "engagement-window window-channel-" + props.channelId;
      input.interactive = false;
      return input;
    }
    if (props.group) {
      // A campaign: one item for its versions of the day, which opens the campaign's page.
      input.className = "pageone-post campaign";
      input.startEditable = false;
      input.durationEditable = false;
      delete input.editable;
      return input;
    }
    var label = PLATFORM_LABELS[props.platform] || props.platform;
    input.title = label + " · " + input.title;
    input.className = ["pageone-post", statusClass(props.status), "status-" + props.status].join(" ");
    // The feed marks the posts that may not move (editable: false); a viewer moves none, and
    // nothing is resized.
    input.startEditable = Boolean(config.canEdit && input.editable !== false);
    input.durationEditable = false;
    delete input.editable;
    return input;
  }

  var calendarEl = $("calendar");
  calendar = new FullCalendar.Calendar(calendarEl, {
    initialView: INITIAL_VIEW,
    // The page's language (FullCalendar's own locale file is loaded by the template).
    locale: config.locale || "en",
    timeZone: "local",
    firstDay: 1,
    height: "auto",
    headerToolbar: {
      start: "prev,next today",
      center: "title",
      end: NARROW ? "listWeek,dayGridMonth" : "dayGridMonth,timeGridWeek,listMonth",
    },
    views: {
      dayGridMonth: { dayMaxEvents: 4 },
      timeGridWeek: { scrollTime: "07:00:00" },
      listMonth: config.locale && config.locale !== "en" ? {} : { listText: "List" },
      listWeek: { titleFormat: { month: "short", day: "numeric" } },
    },
    nowIndicator: true,
    eventDisplay: "block",
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    slotHeaderFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    editable: config.canEdit,
    eventDurationEditable: false,
    selectable: config.canEdit,
    selectMirror: false,
    events: fetchEvents,
    eventDataTransform: shapeEvent,
    eventDidMount: function (info) {
      var props = info.event.extendedProps;
      if (props.window) return;
      if (props.group) {
        info.el.setAttribute("data-group-id", props.group);
        info.el.title =
          t("Campaign: {channels}", { channels: props.channelNames.join(", ") }) + "\n" +
          describeTime(info.event.start) + "\n" + info.event.title;
        return;
      }
      info.el.setAttribute("data-post-id", info.event.id);
      info.el.setAttribute("data-status", props.status);
      info.el.title =
        props.channelName + " · " + props.status.replace("_", " ") + "\n" +
        describeTime(info.event.start) + "\n" + info.event.title;
    },
    eventAllow: function (span) {
      // Dropping into the past is refused by the server anyway; say no before the request.
      return span.start.getTime() > Date.now();
    },
    loading: function (isLoading) {
      calendarEl.setAttribute("aria-busy", isLoading ? "true" : "false");
    },
    eventSourceFailure: function (error) {
      showError([t("Could not load the posts.")].concat(errorsOf(error)));
    },
    datesSet: function (info) {
      if (lastFetchHadWindows !== null && wantsWindows(info.view.type) !== lastFetchHadWindows) {
        calendar.refetchEvents();
      }
    },
    select: function (info) {
      calendar.unselect();
      var when = new Date(info.start.getTime());
      if (info.allDay) {
        // A day picked in month view: propose 09:00 that day, or the next hour when that is past.
        when.setHours(9, 0, 0, 0);
        var nextHour = new Date();
        nextHour.setHours(nextHour.getHours() + 1, 0, 0, 0);
        if (when < nextHour) when = nextHour;
      }
      openCreate(when);
    },
    eventClick: function (info) {
      if (info.event.extendedProps.window) return;
      if (info.jsEvent) info.jsEvent.preventDefault();
      if (info.event.extendedProps.group) {
        window.location.href = "/groups/" + info.event.extendedProps.group;
        return;
      }
      openEdit(info.event.id);
    },
    eventDrop: function (info) {
      var event = info.event;
      var from = info.oldEvent.start;
      setMessage(alertArea, null);
      var move = { scheduled_at: isoWithOffset(event.start), version: event.extendedProps.version };
      api("PATCH", config.postUrl + event.id, move).then(
        function (data) {
          var moved = t("{channel} post moved to {when}.", {
            channel: event.extendedProps.channelName, when: describeTime(data.post.scheduled_at),
          });
          if (data.warnings && data.warnings.length) {
            showWarning([moved].concat(data.warnings));
          } else {
            var note = windowNote(event.extendedProps.channelId, from, event.start);
            showStatus(note ? [note, moved] : moved);
          }
          event.setExtendedProp("status", data.post.status);
          event.setExtendedProp("version", data.post.version);
        },
        function (failure) {
          info.revert();
          // A 409 carries the post as the server has it now: someone may have moved it since
          // this calendar was loaded, so it goes there rather than back to where it was.
          var current = failure instanceof ApiFailure && failure.status === 409 && failure.data.post;
          var shown = current && calendar.getEventById(event.id);
          if (!shown) {
            showError([t("The post was not moved.")].concat(errorsOf(failure)));
            return;
          }
          var at = current.scheduled_at ? new Date(current.scheduled_at) : null;
          if (at && shown.start && at.getTime() !== shown.start.getTime()) {
            shown.setStart(at, { maintainDuration: true });
          }
          shown.setExtendedProp("status", current.status);
          shown.setExtendedProp("version", current.version);
          showError(
            [t("The post was not moved; it stays at {when}.", { when: describeTime(current.scheduled_at) })]
              .concat(errorsOf(failure))
          );
        }
      );
    },
  });
  calendar.render();

  filter.addEventListener("change", function () {
    calendar.refetchEvents();
  });
  filter.addEventListener("click", function (event) {
    var which = event.target.getAttribute && event.target.getAttribute("data-filter");
    if (!which) return;
    filter.querySelectorAll('input[name="channel"]').forEach(function (box) {
      box.checked = which === "all";
    });
    calendar.refetchEvents();
  });

  try {
    $("viewer-timezone").textContent = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    // Keep the generic wording.
  }

  // --- the post dialog --------------------------------------------------------------------

  var dialog = $("post-dialog");
  var form = $("post-form");
  var fields = {
    channel: $("post-channel"),
    text: $("post-text"),
    link: $("post-link"),
    image: $("post-image"),
    when: $("post-when"),
  };
  var counter = $("post-count");
  var dialogErrors = $("post-errors");
  var dialogWarnings = $("post-warnings");
  var current = null; // {mode: "create"} or {mode: "edit", post}
  var busy = false;

  function platformOfSelected() {
    var option = fields.channel.selectedOptions[0];
    return option ? option.getAttribute("data-platform") : null;
  }

  function updateCount() {
    var platform = platformOfSelected();
    if (!platform) {
      counter.textContent = "";
      return;
    }
    var text = fields.text.value;
    var count, limit;
    try {
      count = window.PageOneText.count(platform, text);
      limit = window.PageOneText.limit(platform);
    } catch (e) {
      count = Array.from(text).length;
      limit = config.limits[platform] || null;
    }
    var over = limit !== null && count > limit;
    counter.textContent = limit === null ? t("{count} characters", { count: count }) : count + " / " + limit;
    counter.classList.toggle("over", over);
    fields.text.setAttribute("aria-invalid", over ? "true" : "false");
  }

  function showDialogMessages(el, lines) {
    el.textContent = "";
    if (!lines || !lines.length) return;
    var list = document.createElement("ul");
    lines.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
    el.appendChild(list);
  }

  function setMode(mode, readOnly) {
    form.querySelectorAll("[data-mode]").forEach(function (button) {
      var wanted = button.getAttribute("data-mode");
      var show =
        !readOnly &&
        (wanted === mode ||
          (wanted === "edit-draft" && mode === "edit" && current.post.status === "draft") ||
          (wanted === "approve" && mode === "edit" && config.canApprove &&
            current.post.status === "pending_approval"));
      button.hidden = !show;
    });
    Object.keys(fields).forEach(function (name) {
      fields[name].disabled = readOnly;
    });
  }

  function resetDialog() {
    form.reset();
    showDialogMessages(dialogErrors, null);
    showDialogMessages(dialogWarnings, null);
    $("post-state").hidden = true;
    $("post-public-url").hidden = true;
    $("post-page-link").hidden = true;
  }

  function openDialog() {
    updateCount();
    if (!dialog.open) dialog.showModal();
    (fields.text.disabled ? dialog.querySelector('[data-action="close"]') : fields.text).focus();
  }

  function openCreate(when) {
    if (!config.canEdit) return;
    if (!config.channels.length) {
      showError(t("Add a channel first: the calendar plans posts per channel."));
      return;
    }
    current = { mode: "create" };
    resetDialog();
    $("post-dialog-title").textContent = t("New post");
    var ticked = selectedChannelIds();
    if (ticked.length) fields.channel.value = ticked[0];
    fields.when.value = when ? toLocalInput(when) : "";
    setMode("create", false);
    openDialog();
  }

  function openEdit(postId) {
    api("GET", config.postUrl + postId).then(
      function (data) {
        var post = data.post;
        current = { mode: "edit", post: post };
        resetDialog();
        var channel = channelsById[post.channel_id];
        var editable = config.canEdit && EDITABLE.indexOf(post.status) !== -1;
        $("post-dialog-title").textContent =
          (editable ? t("Edit post") : t("Post")) + (channel ? " · " + channel.name : "");
        fields.channel.value = String(post.channel_id);
        fields.text.value = post.text;
        fields.link.value = post.link || "";
        fields.image.value = post.image_url || "";
        fields.when.value = post.scheduled_at ? toLocalInput(new Date(post.scheduled_at)) : "";
        var state = $("post-state");
        if (!editable) {
          state.hidden = false;
          $("post-state-text").textContent =
            post.status === "published"
              ? t("Published {when}; it is kept as it went out.", { when: describeTime(post.scheduled_at) })
              : t("Status: {status}.", { status: t(post.status.replace("_", " ")) }) +
                (config.canEdit ? " " + t("It can no longer be changed here.") : "");
          if (post.public_url) {
            var link = $("post-public-url");
            link.href = post.public_url;
            link.hidden = false;
          }
        }
        if (post.status === "pending_approval") {
          state.hidden = false;
          $("post-state-text").textContent = t("Waiting for approval.");
        }
        if (data.rejected) {
          showDialogMessages(dialogWarnings, [t("Rejected: {reason}", { reason: data.rejected.reason })]);
        } else if (post.last_error) {
          showDialogMessages(dialogWarnings, [t("Last error: {error}", { error: post.last_error })]);
        }
        var pageLink = $("post-page-link");
        pageLink.querySelector("a").href = config.postPageUrl + post.id;
        pageLink.hidden = false;
        setMode("edit", !editable);
        openDialog();
      },
      function (failure) {
        showError([t("Could not open the post.")].concat(errorsOf(failure)));
      }
    );
  }

  function closeDialog() {
    current = null;
    dialog.close();
  }

  function contentPayload() {
    return {
      channel_id: Number(fields.channel.value),
      text: fields.text.value,
      link: fields.link.value.trim(),
      image_url: fields.image.value.trim(),
    };
  }

  function chosenTime() {
    if (!fields.when.value) return null;
    var date = new Date(fields.when.value);
    return isNaN(date.getTime()) ? null : date;
  }

  function afterChange(data, message) {
    closeDialog();
    calendar.refetchEvents();
    var post = data && data.post;
    if (post && post.scheduled_at) {
      var at = new Date(post.scheduled_at);
      var range = calendar.view;
      if (at < range.activeStart || at >= range.activeEnd) calendar.gotoDate(at);
    }
    // Whether the post waits for approval, or why it did not have to, follows its time.
    if (data && data.approval) message += " " + data.approval;
    if (data && data.warnings && data.warnings.length) {
      showWarning([message].concat(data.warnings));
    } else {
      showStatus(message);
    }
  }

  function channelName(id) {
    var channel = channelsById[id];
    return channel ? channel.name : t("the channel");
  }

  function run(action) {
    if (busy || !current) return;
    var request;
    var payload = contentPayload();
    var when = chosenTime();
    if (action === "schedule") {
      if (!when) {
        showDialogMessages(dialogErrors, [t("Choose a date and time, or use Add to queue.")]);
        fields.when.focus();
        return;
      }
      payload.scheduled_at = isoWithOffset(when);
      request = api("POST", config.postsUrl, payload).then(function (data) {
        afterChange(data, t("Scheduled for {when} on {channel}.", {
          when: describeTime(data.post.scheduled_at), channel: channelName(data.post.channel_id),
        }));
      });
    } else if (action === "queue") {
      payload.queue = true;
      request = api("POST", config.postsUrl, payload).then(function (data) {
        afterChange(data, t("Added to the queue: {when} on {channel}.", {
          when: describeTime(data.post.scheduled_at), channel: channelName(data.post.channel_id),
        }));
      });
    } else if (action === "draft") {
      payload.draft = true;
      if (when) payload.scheduled_at = isoWithOffset(when);
      request = api("POST", config.postsUrl, payload).then(function (data) {
        afterChange(data, data.post.scheduled_at
          ? t("Draft saved for {when}.", { when: describeTime(data.post.scheduled_at) })
          : t("Draft saved without a date; give it a date to see it on the calendar."));
      });
    } else if (action === "save") {
      var post = current.post;
      var before = post.scheduled_at ? toLocalInput(new Date(post.scheduled_at)) : "";
      if (fields.when.value !== before) {
        if (!when) {
          showDialogMessages(dialogErrors, [t("A post keeps a date: choose one, or delete the post.")]);
          return;
        }
        payload.scheduled_at = isoWithOffset(when);
      }
      payload.version = post.version;
      request = api("PATCH", config.postUrl + post.id, payload).then(function (data) {
        afterChange(data, t("Saved: {when} on {channel}.", {
          when: describeTime(data.post.scheduled_at), channel: channelName(data.post.channel_id),
        }));
      });
    } else if (action === "requeue") {
      payload.queue = true;
      payload.version = current.post.version;
      request = api("PATCH", config.postUrl + current.post.id, payload).then(function (data) {
        afterChange(data, t("Added to the queue: {when}.", { when: describeTime(data.post.scheduled_at) }));
      });
    } else if (action === "approve") {
      // The approver may give a new time, which a passed time requires (the server says so).
      var approval = {};
      var was = current.post.scheduled_at ? toLocalInput(new Date(current.post.scheduled_at)) : "";
      if (when && fields.when.value !== was) approval.scheduled_at = isoWithOffset(when);
      request = api("POST", config.postUrl + current.post.id + "/approve", approval).then(
        function (data) {
          afterChange(data, t("Approved: scheduled for {when}.", { when: describeTime(data.post.scheduled_at) }));
        }
      );
    } else if (action === "reject") {
      var reason = window.prompt(t("Why is this post rejected? Its author sees the reason."));
      if (!reason || !reason.trim()) return;
      request = api("POST", config.postUrl + current.post.id + "/reject", { reason: reason }).then(
        function (data) {
          afterChange(data, t("Rejected: the post is a draft again."));
        }
      );
    } else if (action === "delete") {
      if (!window.confirm(t("Delete this post? This cannot be undone."))) return;
      request = api("DELETE", config.postUrl + current.post.id).then(function () {
        afterChange(null, t("Post deleted."));
      });
    } else {
      return;
    }
    busy = true;
    form.setAttribute("aria-busy", "true");
    showDialogMessages(dialogErrors, null);
    request
      .catch(function (failure) {
        showDialogMessages(dialogErrors, errorsOf(failure));
        // Changed by someone else meanwhile: show the calendar as it is now.
        if (failure instanceof ApiFailure && failure.status === 409) calendar.refetchEvents();
      })
      .then(function () {
        busy = false;
        form.removeAttribute("aria-busy");
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!current) return;
    run(current.mode === "create" ? "schedule" : "save");
  });
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button || button.type === "submit") return;
    var action = button.getAttribute("data-action");
    if (action === "close") closeDialog();
    else run(action);
  });
  dialog.addEventListener("close", function () {
    current = null;
  });
  // A click on the backdrop (the dialog element itself, outside the form) closes it.
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog) closeDialog();
  });
  fields.text.addEventListener("input", updateCount);
  fields.channel.addEventListener("change", updateCount);

  var newPost = $("new-post");
  if (newPost) {
    newPost.addEventListener("click", function () {
      var when = new Date();
      when.setHours(when.getHours() + 1, 0, 0, 0);
      openCreate(when);
    });
  }

  // Exposed for tests and the browser console; not an API.
  window.PageOneCalendar = calendar;
})();
