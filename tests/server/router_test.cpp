#include "server/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "fhir/json.hpp"

namespace ibd::server {
namespace {

Request make_request(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = path;
  r.target = path;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) r.segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return r;
}

fhir::Json body_of(const Response& response) {
  auto parsed = fhir::parse_json(response.body);
  EXPECT_TRUE(parsed.has_value()) << response.body;
  return parsed ? *parsed : fhir::Json();
}

std::string string_at(const fhir::Json& json, std::string_view key) {
  const std::string* s = json.string_at(key);
  return s ? *s : std::string("<absent>");
}

const std::string* header_of(const Response& response, std::string_view name) {
  for (const auto& h : response.headers) {
    if (h.name == name) return &h.value;
  }
  return nullptr;
}

Handler text(std::string tag) {
  return [tag](const Request&, const PathParams&) {
    Response r;
    r.content_type = "text/plain";
    r.body = tag;
    return r;
  };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/", text("root"));
    router_.add("GET", "/cds-services", text("discovery"));
    router_.add("POST", "/cds-services/{id}", [](const Request& req, const PathParams& params) {
      Response r;
      r.body = "service " + params.at("id") + " body " + req.body;
      return r;
    });
    router_.add("POST", "/cds-services/{id}/feedback", [](const Request&, const PathParams& p) {
      Response r;
      r.body = "feedback " + p.at("id");
      return r;
    });
    router_.add("GET", "/a/{x}/b/{y}", [](const Request&, const PathParams& p) {
      Response r;
      r.body = p.at("x") + "," + p.at("y");
      return r;
    });
    router_.add("DELETE", "/a/{x}/b/{y}", text("deleted"));
    router_.add("PUT", "/a/{x}/b/{y}", text("put"));
    router_.add("GET", "/boom", [](const Request&, const PathParams&) -> Response {
      throw std::runtime_error("secret detail: token=abc123");
    });
    router_.add("GET", "/boom-int",
                [](const Request&, const PathParams&) -> Response { throw 42; });
  }
  Router router_;
};

TEST_F(RouterTest, RoutesLiteralPaths) {
  auto r = router_.dispatch(make_request("GET", "/cds-services"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "discovery");
  EXPECT_EQ(r.content_type, "text/plain");
}

TEST_F(RouterTest, RoutesRoot) {
  EXPECT_EQ(router_.dispatch(make_request("GET", "/")).body, "root");
}

TEST_F(RouterTest, CapturesParameterAndPassesRequest) {
  auto req = make_request("POST", "/cds-services/ibd-refractory");
  req.body = "{}";
  auto r = router_.dispatch(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "service ibd-refractory body {}");
}

TEST_F(RouterTest, CapturesSeveralParameters) {
  EXPECT_EQ(router_.dispatch(make_request("GET", "/a/1/b/two")).body, "1,two");
}

TEST_F(RouterTest, SegmentCountMustMatch) {
  EXPECT_EQ(router_.dispatch(make_request("POST", "/cds-services/x/feedback")).body, "feedback x");
  EXPECT_EQ(router_.dispatch(make_request("POST", "/cds-services/x/feedback/more")).status, 404);
  EXPECT_EQ(router_.dispatch(make_request("GET", "/a/1/b")).status, 404);
}

TEST_F(RouterTest, CaptureTakesDecodedSegmentVerbatim) {
  Request req = make_request("POST", "/cds-services/x");
  req.segments = {"cds-services", "a b/c"};  // as the listener decodes "a%20b%2Fc"
  EXPECT_EQ(router_.dispatch(req).body, "service a b/c body ");
}

TEST_F(RouterTest, EmptySegmentsAreIgnored) {
  EXPECT_EQ(router_.dispatch(make_request("GET", "//cds-services/")).body, "discovery");
}

TEST_F(RouterTest, DerivesSegmentsFromPathWhenNotGiven) {
  Request req;
  req.method = "GET";
  req.path = "/a/7/b/8";
  EXPECT_EQ(router_.dispatch(req).body, "7,8");
}

TEST_F(RouterTest, LiteralsAreCaseSensitive) {
  EXPECT_EQ(router_.dispatch(make_request("GET", "/CDS-Services")).status, 404);
}

TEST_F(RouterTest, UnknownPathIs404Json) {
  auto r = router_.dispatch(make_request("GET", "/nope"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  auto body = body_of(r);
  EXPECT_EQ(string_at(body, "error"), "not_found");
  EXPECT_NE(body.string_at("message"), nullptr);
  EXPECT_EQ(header_of(r, "Allow"), nullptr);
}

TEST_F(RouterTest, KnownPathOtherMethodIs405WithAllow) {
  auto r = router_.dispatch(make_request("GET", "/cds-services/x"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(string_at(body_of(r), "error"), "method_not_allowed");
  ASSERT_NE(header_of(r, "Allow"), nullptr);
  EXPECT_EQ(*header_of(r, "Allow"), "POST");
}

TEST_F(RouterTest, AllowListsEveryMethodOfMatchingRoutes) {
  auto r = router_.dispatch(make_request("POST", "/a/1/b/2"));
  EXPECT_EQ(r.status, 405);
  ASSERT_NE(header_of(r, "Allow"), nullptr);
  EXPECT_EQ(*header_of(r, "Allow"), "GET, DELETE, PUT");
}

TEST_F(RouterTest, MethodIsCaseSensitiveAndHeadIsNotSpecial) {
  EXPECT_EQ(router_.dispatch(make_request("get", "/cds-services")).status, 405);
  auto r = router_.dispatch(make_request("HEAD", "/cds-services"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(*header_of(r, "Allow"), "GET");
}

TEST_F(RouterTest, AllowDoesNotRepeatAMethod) {
  Router router;
  router.add("GET", "/x/{a}", text("1"));
  router.add("GET", "/x/{b}", text("2"));
  router.add("POST", "/x/y", text("3"));
  auto r = router.dispatch(make_request("PATCH", "/x/y"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(*header_of(r, "Allow"), "GET, POST");
}

TEST_F(RouterTest, FirstAddedRouteWins) {
  Router router;
  router.add("GET", "/x/special", text("literal"));
  router.add("GET", "/x/{id}", text("param"));
  EXPECT_EQ(router.dispatch(make_request("GET", "/x/special")).body, "literal");
  EXPECT_EQ(router.dispatch(make_request("GET", "/x/other")).body, "param");
}

TEST_F(RouterTest, HandlerExceptionIsGeneric500) {
  auto r = router_.dispatch(make_request("GET", "/boom"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("secret"), std::string::npos);
  EXPECT_EQ(r.body.find("abc123"), std::string::npos);
  auto body = body_of(r);
  EXPECT_EQ(string_at(body, "error"), "internal_error");
  EXPECT_EQ(string_at(body, "message"), "internal error");
}

TEST_F(RouterTest, NonStandardExceptionIsGeneric500) {
  auto r = router_.dispatch(make_request("GET", "/boom-int"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(string_at(body_of(r), "error"), "internal_error");
}

TEST_F(RouterTest, EmptyRouterAnswers404) {
  Router router;
  EXPECT_EQ(router.dispatch(make_request("GET", "/")).status, 404);
}

// http_types: the one error rendering the router relies on.

TEST(HttpTypesTest, HeaderLookupIsCaseInsensitiveAndReturnsFirst) {
  Request req;
  req.headers = {{"Content-Type", "application/json"}, {"X-Id", "1"}, {"x-id", "2"}};
  ASSERT_NE(req.header("content-type"), nullptr);
  EXPECT_EQ(*req.header("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(*req.header("X-ID"), "1");
  EXPECT_EQ(req.header("Authorization"), nullptr);
  EXPECT_EQ(req.header("X-I"), nullptr);
}

TEST(HttpTypesTest, JsonResponse) {
  fhir::Json body = fhir::Json::object();
  body.set("a", fhir::Json::number(std::int64_t{1}));
  auto r = Response::json(201, body);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, body.dump());
}

TEST(HttpTypesTest, ErrorResponseCarriesCodeAndMessage) {
  auto r = Response::error(ErrorKind::kInvalidRequest, "hook is missing");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  auto body = body_of(r);
  EXPECT_EQ(string_at(body, "error"), "invalid_request");
  EXPECT_EQ(string_at(body, "message"), "hook is missing");
}

TEST(HttpTypesTest, InternalErrorNeverShowsInternals) {
  Error e = Error::internal_fault("db password=hunter2");
  auto r = Response::error(e);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("hunter2"), std::string::npos);

  Error careless{ErrorKind::kInternal, "stack: foo.cpp:12", "more", {}};
  auto r2 = Response::error(careless);
  EXPECT_EQ(r2.body.find("foo.cpp"), std::string::npos);
  EXPECT_EQ(string_at(body_of(r2), "message"), "internal error");
}

TEST(HttpTypesTest, ErrorWithResourceSendsTheResource) {
  fhir::Json outcome = fhir::Json::object();
  outcome.set("resourceType", fhir::Json::string("OperationOutcome"));
  Error e{ErrorKind::kPreconditionFailed, "prefetch missing", "log only", outcome};
  auto r = Response::error(e);
  EXPECT_EQ(r.status, 412);
  EXPECT_EQ(r.content_type, "application/fhir+json");
  EXPECT_EQ(r.body, outcome.dump());
  EXPECT_EQ(r.body.find("log only"), std::string::npos);
}

}  // namespace
}  // namespace ibd::server
