import RingGateCodecs
import RingGateDemo
import Testing

/// The chat protocol: what clients may send, and the exact JSON the worker sends back.
@Suite struct DemoChatMessagesTests {
    static func parse(_ text: String) -> Result<DemoChatRequest, DemoChatRequest.Rejection> {
        DemoChatRequest.parse(Array(text.utf8))
    }

    static func text(_ event: DemoChatEvent) -> String { String(decoding: event.json, as: UTF8.self) }

    @Test func parsesSayAndName() {
        #expect(Self.parse(#"{"type":"say","text":"hello"}"#) == .success(.say(text: "hello")))
        #expect(Self.parse(#" {"text":"a\nb \u00e9","type":"say"} "#) == .success(.say(text: "a\nb é")))
        #expect(Self.parse(#"{"type":"name","name":"  Ada\u0007 L. "}"#) == .success(.rename(name: "Ada L.")))
        // Extra members are ignored; a repeated member counts with its last value, as in PHP.
        #expect(Self.parse(#"{"type":"say","text":"x","to":"all","text":"y"}"#) == .success(.say(text: "y")))
    }

    @Test func refusesWhatIsNotARequest() {
        #expect(Self.parse("hello") == .failure(.notJSON))
        #expect(Self.parse(#"["say","hi"]"#) == .failure(.notJSON))
        #expect(Self.parse(#""say""#) == .failure(.notJSON))
        #expect(Self.parse(#"{"type":"say","text":"hi""#) == .failure(.notJSON))
        #expect(Self.parse(#"{"type":"say","text":{"a":{"b":1}}}"#) == .failure(.notJSON))  // deeper than 2
        #expect(Self.parse(#"{"text":"hi"}"#) == .failure(.unknownType))
        #expect(Self.parse(#"{"type":"login","name":"x"}"#) == .failure(.unknownType))
        #expect(Self.parse(#"{"type":1}"#) == .failure(.unknownType))
        #expect(Self.parse(#"{"type":"say"}"#) == .failure(.emptyText))
        #expect(Self.parse(#"{"type":"say","text":7}"#) == .failure(.emptyText))
        #expect(Self.parse(#"{"type":"say","text":" \t\n\u0000"}"#) == .failure(.emptyText))
        #expect(Self.parse(#"{"type":"name","name":" \u0001 "}"#) == .failure(.invalidName))
        #expect(Self.parse(#"{"type":"name"}"#) == .failure(.invalidName))
        #expect(DemoChatRequest.parse([0xFF, 0xFE]) == .failure(.notJSON))
        #expect(DemoChatRequest.parse([]) == .failure(.notJSON))
    }

    @Test func lengthLimits() {
        let longest = String(repeating: "é", count: DemoChatRequest.maxTextLength)
        #expect(Self.parse(#"{"type":"say","text":"\#(longest)"}"#) == .success(.say(text: longest)))
        #expect(Self.parse(#"{"type":"say","text":"\#(longest)x"}"#) == .failure(.textTooLong))
        let name = String(repeating: "n", count: DemoChatRequest.maxNameLength)
        #expect(Self.parse(#"{"type":"name","name":"\#(name)"}"#) == .success(.rename(name: name)))
        #expect(Self.parse(#"{"type":"name","name":"\#(name)n"}"#) == .failure(.invalidName))
        // Characters, not bytes or scalars: a family emoji is one.
        let family = String(repeating: "👨‍👩‍👧", count: DemoChatRequest.maxNameLength)
        #expect(Self.parse(#"{"type":"name","name":"\#(family)"}"#) == .success(.rename(name: family)))
        let huge = Array(#"{"type":"say","text":""#.utf8) + [UInt8](repeating: 0x61, count: 16_384) + Array(#""}"#.utf8)
        #expect(DemoChatRequest.parse(huge) == .failure(.tooLarge))
    }

    @Test func eventsAreExactJSON() {
        let id = "7f0000010b5400000001"
        #expect(
            Self.text(.welcome(clientID: id, name: "Ada", online: 2))
                == #"{"type":"welcome","client_id":"7f0000010b5400000001","name":"Ada","online":2}"#)
        #expect(
            Self.text(.join(from: id, name: "Ada", online: 3, time: "09:05:01"))
                == #"{"type":"join","from":"7f0000010b5400000001","name":"Ada","online":3,"time":"09:05:01"}"#)
        #expect(
            Self.text(.say(from: id, name: "Ada", text: "hi", time: "23:59:59"))
                == #"{"type":"say","from":"7f0000010b5400000001","name":"Ada","text":"hi","time":"23:59:59"}"#)
        #expect(
            Self.text(.rename(from: id, oldName: "Guest-1", name: "Ada", time: "00:00:00"))
                == #"{"type":"name","from":"7f0000010b5400000001","old_name":"Guest-1","name":"Ada","time":"00:00:00"}"#
        )
        #expect(
            Self.text(.leave(from: id, name: "Ada", online: 1, time: "12:00:00"))
                == #"{"type":"leave","from":"7f0000010b5400000001","name":"Ada","online":1,"time":"12:00:00"}"#)
        #expect(Self.text(.error(reason: "nothing to say")) == #"{"type":"error","error":"nothing to say"}"#)
        // An unknown count is left out rather than sent as a wrong number.
        #expect(
            Self.text(.welcome(clientID: id, name: "A", online: nil))
                == #"{"type":"welcome","client_id":"\#(id)","name":"A"}"#)
        #expect(
            Self.text(.leave(from: id, name: "A", online: nil, time: "12:00:00"))
                == #"{"type":"leave","from":"\#(id)","name":"A","time":"12:00:00"}"#)
    }

    /// What a client typed comes back escaped: quotes, backslashes, controls, `</script>`, non-ASCII.
    @Test func userTextIsEscaped() {
        let text = "\"quoted\" \\ </script><b>x</b>\n\u{1}é😀"
        let json = Self.text(.say(from: "f", name: "<i>N\"</i>", text: text, time: "t"))
        #expect(
            json
                == #"{"type":"say","from":"f","name":"<i>N\"<\/i>","text":"\"quoted\" \\ <\/script><b>x<\/b>\n\u0001\u00e9\ud83d\ude00","time":"t"}"#
        )
        // And it reads back as the same text.
        #expect(JSONParser.parse(json)?["text"]?.stringValue == text)
    }

    @Test func errorsNameTheLimits() {
        #expect(DemoChatRequest.Rejection.textTooLong.reason == "text longer than 1000 characters")
        #expect(DemoChatRequest.Rejection.invalidName.reason == "a name has 1 to 32 visible characters")
        #expect(
            Self.text(.error(reason: DemoChatRequest.Rejection.notJSON.reason))
                == #"{"type":"error","error":"messages are JSON objects with a \"type\""}"#)
    }

    @Test func timeOfDayIsTwoDigitsEach() {
        #expect(TimeOfDay(hour: 9, minute: 5, second: 0).description == "09:05:00")
        #expect(TimeOfDay(hour: 23, minute: 59, second: 59).description == "23:59:59")
        let now = TimeOfDay.now()
        #expect((0..<24).contains(now.hour) && (0..<60).contains(now.minute) && (0..<61).contains(now.second))
    }
}
