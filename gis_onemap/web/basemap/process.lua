-- gis_onemap street base map: OSM tags -> layers roads / water / landuse / places.
-- Road classes are gis_onemap's own ids (gis_onemap/roads/data/road_classes.json, "osm_highway"),
-- so one map style draws both this archive and the roads loaded into PostGIS.
-- Names: Chinese first (name:zh, then name:zh-Hans), else the local name.

node_keys = { "place" }

local ROAD_CLASS = {
  motorway = "expressway", motorway_link = "expressway",
  trunk = "national", trunk_link = "national",
  primary = "provincial", primary_link = "provincial",
  secondary = "county", secondary_link = "county",
  tertiary = "township", tertiary_link = "township",
  unclassified = "village", residential = "branch", living_street = "branch",
  service = "village", road = "village",
}
-- the smallest zoom at which each class is drawn (big roads first)
local ROAD_MINZOOM = {
  expressway = 6, national = 7, provincial = 8, county = 9, township = 11,
  branch = 13, village = 13, ferry = 9,
}
local PLACE_MINZOOM = { city = 6, town = 9, suburb = 11, village = 11, quarter = 12, neighbourhood = 13, hamlet = 13 }
local LANDUSE = {
  residential = "residential", commercial = "commercial", retail = "commercial",
  industrial = "industrial", forest = "forest", farmland = "farmland", grass = "grass",
  meadow = "grass", cemetery = "cemetery", military = "military",
}

function init_function() end
function exit_function() end

local function name_of(obj)
  local n = obj:Find("name:zh")
  if n == "" then n = obj:Find("name:zh-Hans") end
  if n == "" then n = obj:Find("name") end
  return n
end

function node_function(node)
  local place = node:Find("place")
  local minzoom = PLACE_MINZOOM[place]
  if minzoom then
    node:Layer("places", false)
    node:MinZoom(minzoom)
    node:Attribute("class", place)
    node:Attribute("name", name_of(node))
  end
end

function way_function(way)
  local highway = way:Find("highway")
  local class = ROAD_CLASS[highway]
  if way:Find("route") == "ferry" then class = "ferry" end
  if class then
    way:Layer("roads", false)
    way:MinZoom(ROAD_MINZOOM[class] or 13)
    way:Attribute("class", class)
    local name = name_of(way)
    if name ~= "" then way:Attribute("name", name) end
    way:AttributeBoolean("bridge", way:Find("bridge") ~= "" and way:Find("bridge") ~= "no")
    way:AttributeBoolean("tunnel", way:Find("tunnel") ~= "" and way:Find("tunnel") ~= "no")
    way:AttributeBoolean("oneway", way:Find("oneway") == "yes" or way:Find("oneway") == "1")
    return
  end
  local natural, waterway, landuse = way:Find("natural"), way:Find("waterway"), way:Find("landuse")
  if way:IsClosed() and (natural == "water" or waterway == "riverbank" or landuse == "reservoir" or landuse == "basin") then
    way:Layer("water", true)
    way:Attribute("class", "water")
    way:Attribute("name", name_of(way))
  elseif waterway == "river" or waterway == "canal" then
    way:Layer("water", false)
    way:Attribute("class", waterway)
    way:Attribute("name", name_of(way))
  elseif way:IsClosed() then
    local lu = LANDUSE[landuse]
    if way:Find("leisure") == "park" then lu = "park" end
    if natural == "wood" then lu = "forest" end
    if lu then
      way:Layer("landuse", true)
      way:MinZoom(10)
      way:Attribute("class", lu)
    end
  end
end
