import Testing
@testable import SluiceCore
@Test func placeholderCore() { #expect(Identifier.isValid(Identifier.make("wf"), prefix: "wf")) }
